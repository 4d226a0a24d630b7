package transfer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RemovePartials deletes partial files that a transfer kept for a resume (Result.Partial) and that will not be
// resumed: the sender offered a changed file instead. dir is the folder the transfer was accepted into; a path
// outside it, or one that is not named as a partial file, is left alone. Removing a name never follows a link.
func RemovePartials(dir string, partials ...string) error {
	if len(partials) == 0 {
		return nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer func() { _ = root.Close() }()
	var first error
	for _, p := range partials {
		rel, err := filepath.Rel(dir, p)
		base := filepath.Base(rel)
		if err != nil || !filepath.IsLocal(rel) || !strings.HasPrefix(base, ".") || !strings.HasSuffix(base, PartialSuffix) {
			if first == nil {
				first = fmt.Errorf("transfer: %s is not a partial file under %s", p, dir)
			}
			continue
		}
		if err := root.Remove(rel); err != nil && !os.IsNotExist(err) && first == nil {
			first = err
		}
	}
	return first
}
