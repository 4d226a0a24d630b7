package joinpage

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A release is one file of Tandem Customer that the page can hand out.
type release struct {
	Platform string // "linux", "windows" or "macos"
	Arch     string // for Linux: "x86_64" or "aarch64"
	Plain    bool   // a bare Linux program (a build, not an AppImage): for demos and distributions' packages
	Path     string
	Size     int64
	modTime  time.Time
}

// ID names the release in the download form: "linux-x86_64", "windows", "macos".
func (r release) ID() string {
	if r.Arch != "" {
		return r.Platform + "-" + r.Arch
	}
	return r.Platform
}

// stamped reports whether the file's format keeps working with bytes after its end (an AppImage does: its
// runtime finds the file system from the ELF headers; so does a bare ELF program); the Windows installer and
// the disk image do not.
func (r release) stamped() bool { return r.Platform == "linux" }

// scanReleases lists the newest Tandem Customer file of each kind in dir, as `make package-linux`,
// `package-windows` and `package-macos` name them: tandem-customer-VERSION-x86_64.AppImage,
// tandem-customer-VERSION-x64.msi, tandem-customer-VERSION-macos.dmg; a bare Linux build may be there as
// tandem-customer-VERSION-linux-x86_64 (an AppImage of the same architecture wins). It reads the folder at every
// call, so that a new release dropped there is offered without a restart.
func scanReleases(dir string) []release {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	newest := map[string]release{}
	var order []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, "tandem-customer-") {
			continue
		}
		var r release
		lower := strings.ToLower(name)
		switch {
		case strings.HasSuffix(lower, "-x86_64.appimage"):
			r = release{Platform: "linux", Arch: "x86_64"}
		case strings.HasSuffix(lower, "-aarch64.appimage"):
			r = release{Platform: "linux", Arch: "aarch64"}
		case strings.HasSuffix(lower, "-linux-x86_64"):
			r = release{Platform: "linux", Arch: "x86_64", Plain: true}
		case strings.HasSuffix(lower, "-linux-aarch64"):
			r = release{Platform: "linux", Arch: "aarch64", Plain: true}
		case strings.HasSuffix(lower, ".msi"):
			r = release{Platform: "windows"}
		case strings.HasSuffix(lower, ".dmg"):
			r = release{Platform: "macos"}
		default:
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		r.Path, r.Size, r.modTime = filepath.Join(dir, name), info.Size(), info.ModTime()
		old, seen := newest[r.ID()]
		if !seen {
			order = append(order, r.ID())
		}
		// An AppImage wins over a bare program; between two of a kind, the newer.
		if !seen || (old.Plain && !r.Plain) || (old.Plain == r.Plain && r.modTime.After(old.modTime)) {
			newest[r.ID()] = r
		}
	}
	out := make([]release, 0, len(order))
	for _, id := range order {
		out = append(out, newest[id])
	}
	return out
}

// visitor is what the page knows of the visitor's computer from its User-Agent.
type visitor struct {
	Platform string // "linux", "windows", "macos", "mobile", or "" when unknown
	Arch     string // for Linux
}

func visitorOf(userAgent string) visitor {
	ua := strings.ToLower(userAgent)
	switch {
	case strings.Contains(ua, "android"), strings.Contains(ua, "iphone"), strings.Contains(ua, "ipad"),
		strings.Contains(ua, "mobile"):
		return visitor{Platform: "mobile"}
	case strings.Contains(ua, "windows"):
		return visitor{Platform: "windows"}
	case strings.Contains(ua, "macintosh"), strings.Contains(ua, "mac os x"):
		return visitor{Platform: "macos"}
	case strings.Contains(ua, "linux"), strings.Contains(ua, "x11"), strings.Contains(ua, "cros"):
		if strings.Contains(ua, "aarch64") || strings.Contains(ua, "arm64") {
			return visitor{Platform: "linux", Arch: "aarch64"}
		}
		return visitor{Platform: "linux", Arch: "x86_64"}
	}
	return visitor{}
}

// pick returns the release for v (and whether there is one), and the others.
func pick(rs []release, v visitor) (release, bool, []release) {
	best := -1
	for i, r := range rs {
		if r.Platform == v.Platform && (r.Arch == "" || r.Arch == v.Arch) {
			best = i
			break
		}
	}
	if best < 0 {
		return release{}, false, rs
	}
	others := make([]release, 0, len(rs)-1)
	others = append(others, rs[:best]...)
	others = append(others, rs[best+1:]...)
	return rs[best], true, others
}
