//go:build linux

package picker_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tandem-remote/tandem/shared/picker"
	"github.com/tandem-remote/tandem/shared/picker/portaltest"
)

type result struct {
	paths []string
	err   error
}

func open(ctx context.Context, o picker.Options, folders bool) chan result {
	ch := make(chan result, 1)
	go func() {
		p, err := picker.OpenFiles(ctx, o, folders)
		ch <- result{p, err}
	}()
	return ch
}

func TestPortalDialogs(t *testing.T) {
	portal := portaltest.Start(t)
	dir := t.TempDir()
	odd := filepath.Join(dir, "rapport final (v2) été #1 100%.pdf")

	// Several files, with names a URI must escape.
	got := open(t.Context(), picker.Options{Parent: "x11:1a00003", Title: "Send files to Alice", Accept: "Send"}, false)
	c := portal.Next(t, 10*time.Second)
	if c.Title != "Send files to Alice" || c.Accept != "Send" || c.Parent != "x11:1a00003" || !c.Multiple || c.Directory {
		t.Fatalf("the dialog was asked as %+v", c)
	}
	c.Answer(t, odd, filepath.Join(dir, "b.txt"))
	if r := <-got; r.err != nil || !slices.Equal(r.paths, []string{odd, filepath.Join(dir, "b.txt")}) {
		t.Fatalf("OpenFiles = %q, %v", r.paths, r.err)
	}

	// Cancel.
	got = open(t.Context(), picker.Options{Title: "Send"}, true)
	c = portal.Next(t, 10*time.Second)
	if !c.Directory {
		t.Fatal("folders were not asked for")
	}
	c.Cancel(t)
	if r := <-got; r.err != nil || len(r.paths) != 0 {
		t.Fatalf("a cancelled dialog gave %q, %v", r.paths, r.err)
	}

	// A folder to save into.
	folder := make(chan string, 1)
	go func() {
		f, _ := picker.ChooseFolder(t.Context(), picker.Options{Title: "Save", Accept: "Save here"})
		folder <- f
	}()
	c = portal.Next(t, 10*time.Second)
	if c.Multiple || !c.Directory || c.Accept != "Save here" {
		t.Fatalf("the folder dialog was asked as %+v", c)
	}
	c.Answer(t, dir)
	if f := <-folder; f != dir {
		t.Fatalf("ChooseFolder = %q", f)
	}

	// The session ends while the dialog is open: the call returns.
	ctx, cancel := context.WithCancel(t.Context())
	got = open(ctx, picker.Options{}, false)
	portal.Next(t, 10*time.Second)
	cancel()
	if r := <-got; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("after the context ended: %q, %v", r.paths, r.err)
	}
}

func TestNoPortalIsUnavailable(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "nobody"))
	if _, err := picker.OpenFiles(t.Context(), picker.Options{}, false); !errors.Is(err, picker.ErrUnavailable) {
		t.Fatalf("without a bus: %v", err)
	}
	portaltest.StartBusOnly(t)
	if _, err := picker.ChooseFolder(t.Context(), picker.Options{}); !errors.Is(err, picker.ErrUnavailable) {
		t.Fatalf("a bus without a portal: %v", err)
	}
}
