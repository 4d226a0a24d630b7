package selfinstall

import (
	"errors"
	"testing"
)

func TestInstalledPackageIsNoneOnLinux(t *testing.T) {
	if _, err := InstalledPackage("Tandem Customer"); !errors.Is(err, ErrNoPackage) {
		t.Fatalf("got %v", err)
	}
	if err := (Package{Kind: MSI}).RemoveAfterExit(); !errors.Is(err, ErrNoPackage) {
		t.Fatalf("RemoveAfterExit on Linux: %v", err)
	}
}
