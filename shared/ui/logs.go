package ui

import (
	"bytes"
	"io"
	"log"
	"os"
	"sync"
)

// QuietFyneNoise routes the standard logger through a filter that drops one report of Fyne's that is no news:
// "Preferences load error: EOF". Fyne watches its preferences file and reloads it when it changes; when the
// program itself writes the file (at exit, it always does) the watcher can read it while it is still empty. The
// preferences in memory are untouched and nothing is lost, but a person reading the terminal sees an error
// twice per program. Every other line still reaches stderr.
func QuietFyneNoise() {
	log.SetOutput(&fyneNoise{w: os.Stderr})
}

type fyneNoise struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte // a "Preferences load error:" line, kept until its cause says whether it is the empty file
	dropAt  bool   // the report was dropped: its "At: …" line goes too
}

func (f *fyneNoise) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dropAt {
		f.dropAt = false
		if bytes.Contains(p, []byte("/app/preferences.go:")) {
			return len(p), nil
		}
	}
	if f.pending != nil {
		header := f.pending
		f.pending = nil
		if bytes.Contains(p, []byte("  Cause: EOF")) {
			f.dropAt = true
			return len(p), nil
		}
		if _, err := f.w.Write(header); err != nil {
			return 0, err
		}
	}
	if bytes.Contains(p, []byte("Fyne error:  Preferences load error:")) {
		f.pending = append([]byte(nil), p...)
		return len(p), nil
	}
	return f.w.Write(p)
}
