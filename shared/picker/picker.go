// Package picker asks the desktop's own file dialogs for the files to send and the folder to save into, so
// that people get the dialog they know (with their bookmarks, recent files and several files at once): the XDG
// FileChooser portal on Linux (GNOME, KDE and the others that run xdg-desktop-portal). Where the desktop has
// none (no portal; Windows and macOS, not built yet), the calls return ErrUnavailable and the programs fall back
// to Fyne's dialog.
package picker

import (
	"context"
	"errors"
)

// ErrUnavailable says that no native dialog can be shown here: use another.
var ErrUnavailable = errors.New("picker: no native file dialog here")

// Options of a dialog.
type Options struct {
	// Parent identifies the window the dialog belongs to ("x11:1a00003"; see ParentOf), so that it opens over it
	// and is modal to it. Empty: none.
	Parent string
	// Title is the dialog's title.
	Title string
	// Accept is the label of the accept button ("Send", "Save here"). Empty: the desktop's.
	Accept string
}

// OpenFiles asks for files (several at once) or, with folders, folders, and returns their paths: none when the
// person cancelled. Cancelling ctx closes the dialog.
func OpenFiles(ctx context.Context, o Options, folders bool) ([]string, error) {
	return openNative(ctx, o, true, folders)
}

// ChooseFolder asks for one folder and returns its path, "" when the person cancelled.
func ChooseFolder(ctx context.Context, o Options) (string, error) {
	paths, err := openNative(ctx, o, false, true)
	if err != nil || len(paths) == 0 {
		return "", err
	}
	return paths[0], nil
}
