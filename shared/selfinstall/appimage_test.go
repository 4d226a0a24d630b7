package selfinstall

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fakeAppImage writes a test copy that starts as a type-2 AppImage does (ELF header, "AI\x02" at offset 8).
func fakeAppImage(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "tandem-customer-1.0-x86_64.AppImage")
	head := []byte("\x7fELF\x02\x01\x01\x00AI\x02\x00\x00\x00\x00\x00 and the rest of a test copy")
	if err := os.WriteFile(p, head, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunningAppImage(t *testing.T) {
	t.Setenv("APPIMAGE", "")
	if _, err := RunningAppImage(); !errors.Is(err, ErrNotAppImage) {
		t.Errorf("without $APPIMAGE: %v, want ErrNotAppImage", err)
	}
	p := fakeAppImage(t, t.TempDir())
	t.Setenv("APPIMAGE", p)
	if got, err := RunningAppImage(); err != nil || got != p {
		t.Errorf("RunningAppImage = %q, %v; want %q", got, err, p)
	}
}

func TestRemoveAppImage(t *testing.T) {
	dir := t.TempDir()
	p := fakeAppImage(t, dir)
	if err := RemoveAppImage(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the AppImage is still there (%v)", err)
	}
	if err := RemoveAppImage(p); !errors.Is(err, ErrNotAppImage) {
		t.Errorf("removing it again: %v, want ErrNotAppImage", err)
	}
}

// TestRemoveAppImageLeavesOtherFiles checks that only an AppImage is ever removed, whatever $APPIMAGE says.
func TestRemoveAppImageLeavesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	elf := filepath.Join(dir, "program")
	if err := os.WriteFile(elf, []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"), 0o755); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("\x7fELF"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.AppImage")
	if err := os.Symlink(fakeAppImage(t, t.TempDir()), link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{elf, short, link, dir, "relative.AppImage", filepath.Join(dir, "missing")} {
		if err := RemoveAppImage(p); !errors.Is(err, ErrNotAppImage) {
			t.Errorf("RemoveAppImage(%q) = %v, want ErrNotAppImage", p, err)
		}
		t.Setenv("APPIMAGE", p)
		if got, err := RunningAppImage(); !errors.Is(err, ErrNotAppImage) {
			t.Errorf("with APPIMAGE=%q, RunningAppImage = %q, %v; want ErrNotAppImage", p, got, err)
		}
	}
	for _, p := range []string{elf, short, link, dir} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s is gone: %v", p, err)
		}
	}
}
