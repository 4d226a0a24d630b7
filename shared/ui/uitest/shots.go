package uitest

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// ShotsDirEnv names the environment variable that tells the screenshot tests (build tag "screenshots", run by
// `make screenshots`) where to write their PNG files.
const ShotsDirEnv = "TANDEM_SHOTS"

// Shots saves windows as PNG files into $TANDEM_SHOTS/<language>/, for people to look at the UI without
// running a session.
type Shots struct {
	t   testing.TB
	dir string
}

// NewShots prepares the folder for language's screenshots and gives app the theme that the programs use (the
// test app's theme has plainer colours and lacks some fonts). It fails the test when $TANDEM_SHOTS is not set.
func NewShots(t testing.TB, app fyne.App, language string) *Shots {
	t.Helper()
	root := os.Getenv(ShotsDirEnv)
	if root == "" {
		t.Fatalf("set %s to the folder for the screenshots (make screenshots does)", ShotsDirEnv)
	}
	dir := filepath.Join(root, language)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	app.Settings().SetTheme(theme.DefaultTheme())
	return &Shots{t: t, dir: dir}
}

// Take saves w as it is drawn now, dialogs included, to name.png.
func (s *Shots) Take(w fyne.Window, name string) {
	s.t.Helper()
	img := w.Canvas().Capture()
	if b := img.Bounds(); b.Dx() == 0 || b.Dy() == 0 {
		s.t.Fatalf("%s: the window has no size", name)
	}
	path := filepath.Join(s.dir, name+".png")
	f, err := os.Create(path)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		_ = f.Close()
		s.t.Fatalf("%s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("wrote %s", path)
}
