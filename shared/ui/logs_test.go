package ui

import (
	"bytes"
	"log"
	"testing"
)

func TestFyneNoiseIsDroppedAndTheRestKept(t *testing.T) {
	var out bytes.Buffer
	l := log.New(&fyneNoise{w: &out}, "", 0)
	l.Println("Fyne error: ", "Preferences load error:")
	l.Println("  Cause:", "EOF")
	l.Printf("  At: %s:%d", "/root/go/pkg/mod/fyne.io/fyne/v2@v2.7.1/app/preferences.go", 103)
	l.Println("session: joined Alice: direct")
	l.Println("Fyne error: ", "Preferences load error:")
	l.Println("  Cause:", "invalid character 'x'") // not the empty file: said
	l.Println("Fyne error: ", "Getting favorite locations")
	want := "session: joined Alice: direct\nFyne error:  Preferences load error:\n  Cause: invalid character 'x'\n" +
		"Fyne error:  Getting favorite locations\n"
	if out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
}
