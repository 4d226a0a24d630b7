package assets

import (
	"bytes"
	"image/png"
	"testing"
)

func TestIconPNG(t *testing.T) {
	for _, size := range []int{16, 64, 256} {
		b, err := IconPNG(size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if r := img.Bounds(); r.Dx() != size || r.Dy() != size {
			t.Fatalf("size %d: got %v", size, r)
		}
		// The icon is drawn: mostly its blue background, with the white ring on it.
		var blue, white int
		for y := range size {
			for x := range size {
				r, g, b, _ := img.At(x, y).RGBA()
				switch {
				case r>>8 == 0x1f && g>>8 == 0x5f && b>>8 == 0xbf:
					blue++
				case r>>8 > 0xf0 && g>>8 > 0xf0 && b>>8 > 0xf0:
					white++
				}
			}
		}
		if blue < size*size/3 || white == 0 {
			t.Fatalf("size %d: %d blue and %d white pixels", size, blue, white)
		}
	}
	if _, err := IconPNG(0); err == nil {
		t.Fatal("size 0 accepted")
	}
}
