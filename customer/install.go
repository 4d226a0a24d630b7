package main

import (
	"errors"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"

	"github.com/tandem-remote/tandem/shared/selfinstall"
)

// installation is what Tandem Customer knows of how it was installed here: what removing itself at the end of a
// session (the technician's preference) would remove, and whether it may offer to open tandem:// links.
type installation struct {
	// appImage is the AppImage file the program runs from; "" when it does not run from one.
	appImage string
	// links registers the program for tandem:// links for this user; nil where that is not possible.
	links *selfinstall.LinkHandler
	// config is the program's own settings folder, removed with it; "" when unknown.
	config string
	// pkg is the MSI install or the macOS bundle the program runs from (Kind NoPackage otherwise): removed by a
	// helper once the program has exited.
	pkg selfinstall.Package
}

// programName names Tandem Customer's installation (its MSI's registry key).
const programName = "Tandem Customer"

// detectInstallation looks at how the program runs: from an AppImage (which can remove itself and register
// links), from Tandem's MSI or a macOS bundle (removed once the program has exited), or otherwise (a developer
// build, a copy, a distribution's package: not removed by the program).
func detectInstallation(a fyne.App) installation {
	var in installation
	if p, err := selfinstall.RunningAppImage(); err == nil {
		in.appImage = p
		if h, err := selfinstall.ForCurrentUser(); err == nil {
			in.links = h
		}
	} else if pkg, err := selfinstall.InstalledPackage(programName); err == nil {
		in.pkg = pkg
	}
	if root := a.Storage().RootURI(); root != nil && root.Scheme() == "file" {
		in.config = root.Path()
	}
	return in
}

// canRemove reports whether the program can remove itself here.
func (in installation) canRemove() bool {
	return in.appImage != "" || in.pkg.Kind != selfinstall.NoPackage
}

// path is what removing the program deletes, for the customer to read.
func (in installation) path() string {
	if in.appImage != "" {
		return in.appImage
	}
	return in.pkg.Path
}

// remove deletes the program's settings and, for an AppImage, its link registration and the file itself; an MSI
// install or a bundle is removed by a helper once the program has exited. The program keeps running until
// it exits.
func (in installation) remove() error {
	if !in.canRemove() {
		return selfinstall.ErrNotAppImage
	}
	var errs []error
	if in.links != nil {
		if err := in.links.Unregister(); err != nil {
			errs = append(errs, fmt.Errorf("link registration: %w", err))
		}
	}
	if in.config != "" {
		if err := os.RemoveAll(in.config); err != nil {
			errs = append(errs, fmt.Errorf("settings: %w", err))
		}
	}
	if in.appImage != "" {
		if err := selfinstall.RemoveAppImage(in.appImage); err != nil {
			errs = append(errs, err)
		}
	} else if err := in.pkg.RemoveAfterExit(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// uninstallNote says, in the End session question, what happens to the program afterwards ("" when the
// technician did not ask for it to be removed).
func (t *toolbar) uninstallNote(asked bool) string {
	switch {
	case !asked:
		return ""
	case t.opts.install.appImage != "":
		return lang.L("customer.uninstall_will", map[string]any{"Path": t.opts.install.appImage})
	case t.opts.install.pkg.Kind == selfinstall.MSI:
		return lang.L("customer.uninstall_will_msi")
	case t.opts.install.pkg.Kind == selfinstall.AppBundle:
		return lang.L("customer.uninstall_will_app", map[string]any{"Path": t.opts.install.pkg.Path})
	}
	return lang.L("customer.uninstall_cannot")
}

// uninstallAfterSession removes the program if the technician asked for it and it can; it returns what to tell
// the customer.
func (t *toolbar) uninstallAfterSession() string {
	in := t.opts.install
	if !in.canRemove() {
		return lang.L("customer.uninstall_cannot")
	}
	if err := in.remove(); err != nil {
		return lang.L("customer.uninstall_failed", map[string]any{"Path": in.path()})
	}
	t.removed = true
	if in.appImage == "" {
		return lang.L("customer.uninstall_pending")
	}
	return lang.L("customer.uninstalled")
}

// linkOfferKey remembers, in the program's settings, that the customer answered the offer to open links.
const linkOfferKey = "links.offered"

// offerLinks asks once, when the program runs from an AppImage that does not open tandem:// links yet, whether it
// should; the answer is remembered. It is made at most once per run, and never while the program removes itself.
func (t *toolbar) offerLinks() {
	in := t.opts.install
	if in.links == nil || in.appImage == "" || t.linksOffered || t.removed || t.app.Preferences().Bool(linkOfferKey) {
		return
	}
	if exe, err := in.links.Registered(); err == nil && exe == in.appImage {
		return
	}
	t.linksOffered = true
	t.showDialog(dialog.NewConfirm(lang.L("customer.links_title"), lang.L("customer.links_question"), func(yes bool) {
		t.app.Preferences().SetBool(linkOfferKey, true)
		if !yes {
			return
		}
		if err := in.links.Register(in.appImage); err != nil {
			t.status.SetText(lang.L("customer.links_failed"))
			return
		}
		t.status.SetText(lang.L("customer.links_done"))
	}, t.win))
}
