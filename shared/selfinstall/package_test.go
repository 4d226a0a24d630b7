package selfinstall

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestMSIUninstallScript(t *testing.T) {
	const code = "{0390D31C-B343-4B51-91FC-DD8F978A1D76}"
	s, err := msiUninstallScript(4242, code)
	if err != nil {
		t.Fatal(err)
	}
	want := "Wait-Process -Id 4242 -ErrorAction SilentlyContinue; Start-Process -FilePath msiexec.exe -ArgumentList '/x','" +
		code + "','/qb'"
	if s != want {
		t.Fatalf("script %q\nwant %q", s, want)
	}
	if got, err := (Package{Kind: MSI, productCode: code}).uninstallScript(4242); err != nil || got != want {
		t.Fatalf("the package's script %q (%v)", got, err)
	}
	if _, err := (Package{Kind: AppBundle}).uninstallScript(1); !errors.Is(err, ErrNoPackage) {
		t.Fatal("an app bundle got an MSI script")
	}
	for _, bad := range []string{"", "0390D31C-B343-4B51-91FC-DD8F978A1D76", "{0390d31c-b343-4b51-91fc-dd8f978a1d76}",
		"{0390D31C-B343-4B51-91FC-DD8F978A1D76}'; Remove-Item C:\\ -Recurse; '", "{0390D31C-B343-4B51-91FC-DD8F978A1D7}"} {
		if _, err := msiUninstallScript(1, bad); !errors.Is(err, ErrNoPackage) {
			t.Errorf("product code %q accepted", bad)
		}
	}
}

func TestAppBundle(t *testing.T) {
	for _, c := range []struct {
		exe, bundle string
	}{
		{"/Applications/Tandem Customer.app/Contents/MacOS/tandem-customer", "/Applications/Tandem Customer.app"},
		{"/Users/bob/Downloads/Tandem Customer.app/Contents/MacOS/tandem-customer", "/Users/bob/Downloads/Tandem Customer.app"},
		{"/Volumes/Tandem Customer/Tandem Customer.app/Contents/MacOS/tandem-customer", ""}, // on the disk image
		{"Tandem Customer.app/Contents/MacOS/tandem-customer", ""},                          // relative
		{"/usr/local/bin/tandem-customer", ""},
		{"/Applications/.app/Contents/MacOS/tandem-customer", ""},
		{"/Applications/X.app/Contents/MacOS/helpers/tandem-customer", ""},
	} {
		got, ok := appBundle(c.exe)
		if got != c.bundle || ok != (c.bundle != "") {
			t.Errorf("appBundle(%q) = %q, %v; want %q", c.exe, got, ok, c.bundle)
		}
	}
}

// TestMSIRegistryKeyMatchesThePackage checks that the MSI writes the values that InstalledPackage reads.
func TestMSIRegistryKeyMatchesThePackage(t *testing.T) {
	wxs, err := os.ReadFile("../../packaging/windows/tandem-customer.wxs")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`Key="` + MSIRegistryKey("Tandem Customer") + `" Name="InstallDir" Type="string"` + "\n" +
			`                           Value="[INSTALLDIR]"`,
		`Key="` + MSIRegistryKey("Tandem Customer") + `" Name="ProductCode" Type="string"` + "\n" +
			`                           Value="[ProductCode]"`,
	} {
		if !strings.Contains(string(wxs), want) {
			t.Errorf("tandem-customer.wxs has no %s", want)
		}
	}
}
