package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/tandem-remote/tandem/i18n"
	"github.com/tandem-remote/tandem/shared/session"
)

func TestRouteQualityTextInEachLanguage(t *testing.T) {
	test.NewTempApp(t)
	t.Cleanup(func() { _ = i18n.Register("en") })
	for _, c := range []struct {
		lang string
		q    session.Quality
		want string
	}{
		{"en", session.Quality{RTT: 104 * time.Millisecond, Rate: 9_840_000, Picture: session.PictureExact},
			"Direct connection · 9.8\u00a0Mbit/s · 104\u00a0ms · exact picture"},
		{"en", session.Quality{RTT: 230 * time.Millisecond, Rate: 850_000, Picture: session.PictureSharpening},
			"Direct connection · 850\u00a0kbit/s · 230\u00a0ms · sharpening…"},
		{"en", session.Quality{RTT: 3 * time.Millisecond}, "Direct connection · 3\u00a0ms · no picture yet"},
		{"en", session.Quality{RTT: 104 * time.Millisecond, Rate: 9_840_000, Picture: session.PictureLossy},
			"Direct connection · 9.8\u00a0Mbit/s · 104\u00a0ms · moving video lossy"},
		{"fr", session.Quality{RTT: 104 * time.Millisecond, Rate: 2_100_000, Picture: session.PictureLossy},
			"Connexion directe · 2,1\u00a0Mbit/s · 104\u00a0ms · vidéo en mouvement avec perte"},
		{"fr", session.Quality{RTT: 104 * time.Millisecond, Rate: 9_840_000, Picture: session.PictureExact},
			"Connexion directe · 9,8\u00a0Mbit/s · 104\u00a0ms · image exacte"},
		{"fr", session.Quality{RTT: 230 * time.Millisecond, Picture: session.PictureSharpening},
			"Connexion directe · 230\u00a0ms · image en cours d’affinage…"},
	} {
		if err := i18n.Register(c.lang); err != nil {
			t.Fatal(err)
		}
		if got := RouteQualityText(session.Route{}, c.q); got != c.want {
			t.Errorf("%s: %+v says %q, want %q", c.lang, c.q, got, c.want)
		}
	}
}
