package ui

import "fyne.io/fyne/v2"

// DroppedPaths returns the local paths of what was dropped on a window (files and folders alike); anything
// that is not a local file (a link dragged from a browser) is left out.
func DroppedPaths(uris []fyne.URI) []string {
	var paths []string
	for _, u := range uris {
		if u != nil && u.Scheme() == "file" && u.Path() != "" {
			paths = append(paths, u.Path())
		}
	}
	return paths
}
