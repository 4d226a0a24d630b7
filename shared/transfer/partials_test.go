package transfer

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRemovePartials(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	write := func(p string) string {
		t.Helper()
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	partial := write(filepath.Join(dir, ".setup.exe.0123456789abcdef"+PartialSuffix))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	nested := write(filepath.Join(dir, "sub", ".a.txt.0123456789abcdef"+PartialSuffix))
	for _, tc := range []struct {
		name string
		path string
		ok   bool // removed, without an error
	}{
		{"a partial", partial, true},
		{"a partial in a subfolder", nested, true},
		{"already gone", partial, true},
		{"a file that is not a partial", write(filepath.Join(dir, "setup.exe")), false},
		{"a partial outside the folder", write(filepath.Join(outside, ".x.0123456789abcdef"+PartialSuffix)), false},
		{"a way out of the folder", filepath.Join(dir, "..", filepath.Base(outside), ".x.0123456789abcdef"+PartialSuffix), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := RemovePartials(dir, tc.path)
			if (err == nil) != tc.ok {
				t.Fatalf("RemovePartials(%s): %v", tc.path, err)
			}
			_, serr := os.Lstat(tc.path)
			if gone := os.IsNotExist(serr); gone != tc.ok {
				t.Fatalf("%s: gone %v, want %v", tc.path, gone, tc.ok)
			}
		})
	}
}
