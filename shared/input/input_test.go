package input

import (
	"context"
	"errors"
	"fmt"
	"image"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestMapper(t *testing.T) {
	tests := []struct {
		name     string
		from, to image.Rectangle
		in, want image.Point
	}{
		// Frame at the monitor's own size: only the offset.
		{"primary origin", image.Rect(0, 0, 1920, 1080), image.Rect(0, 0, 1920, 1080), image.Pt(100, 200), image.Pt(100, 200)},
		{"right monitor", image.Rect(0, 0, 1280, 1024), image.Rect(1920, 0, 3200, 1024), image.Pt(0, 0), image.Pt(1920, 0)},
		{"right monitor last pixel", image.Rect(0, 0, 1280, 1024), image.Rect(1920, 0, 3200, 1024), image.Pt(1279, 1023), image.Pt(3199, 1023)},
		{"left monitor negative origin", image.Rect(0, 0, 1600, 900), image.Rect(-1600, -200, 0, 700), image.Pt(10, 20), image.Pt(-1590, -180)},
		{"left monitor last pixel", image.Rect(0, 0, 1600, 900), image.Rect(-1600, -200, 0, 700), image.Pt(1599, 899), image.Pt(-1, 699)},
		{"monitor below", image.Rect(0, 0, 1024, 768), image.Rect(300, 1080, 1324, 1848), image.Pt(512, 384), image.Pt(812, 1464)},
		// Clamping to the monitor.
		{"clamp right", image.Rect(0, 0, 1280, 1024), image.Rect(1920, 0, 3200, 1024), image.Pt(5000, 10), image.Pt(3199, 10)},
		{"clamp left", image.Rect(0, 0, 1280, 1024), image.Rect(1920, 0, 3200, 1024), image.Pt(-5, 10), image.Pt(1920, 10)},
		{"clamp negative origin", image.Rect(0, 0, 1600, 900), image.Rect(-1600, -200, 0, 700), image.Pt(-1, 1e6), image.Pt(-1600, 699)},
		{"clamp at width", image.Rect(0, 0, 1920, 1080), image.Rect(0, 0, 1920, 1080), image.Pt(1920, 1080), image.Pt(1919, 1079)},
		{"huge coordinates", image.Rect(0, 0, 1920, 1080), image.Rect(0, 0, 1920, 1080), image.Pt(1<<62, -1<<62), image.Pt(1919, 0)},
		// Frame scaled down by the sharer (half size): each frame pixel covers two monitor pixels.
		{"half frame", image.Rect(0, 0, 960, 540), image.Rect(1920, 0, 3840, 1080), image.Pt(480, 270), image.Pt(2880, 540)},
		{"half frame last", image.Rect(0, 0, 960, 540), image.Rect(1920, 0, 3840, 1080), image.Pt(959, 539), image.Pt(3838, 1078)},
		// A viewer showing a 1920x1080 frame in an 800x450 area at (10, 40) of its widget.
		{"viewer scaled", image.Rect(10, 40, 810, 490), image.Rect(0, 0, 1920, 1080), image.Pt(10, 40), image.Pt(0, 0)},
		{"viewer centre", image.Rect(10, 40, 810, 490), image.Rect(0, 0, 1920, 1080), image.Pt(410, 265), image.Pt(960, 540)},
		{"viewer last", image.Rect(10, 40, 810, 490), image.Rect(0, 0, 1920, 1080), image.Pt(809, 489), image.Pt(1917, 1077)},
		{"viewer letterbox clamps", image.Rect(10, 40, 810, 490), image.Rect(0, 0, 1920, 1080), image.Pt(0, 600), image.Pt(0, 1077)},
		// A viewer zoomed in (frame shown at 2x).
		{"viewer zoomed", image.Rect(0, 0, 2048, 1536), image.Rect(0, 0, 1024, 768), image.Pt(1001, 3), image.Pt(500, 1)},
		// Non-uniform scaling.
		{"stretched", image.Rect(0, 0, 100, 100), image.Rect(0, 0, 300, 50), image.Pt(50, 50), image.Pt(150, 25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewMapper(tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.MapPoint(tt.in); got != tt.want {
				t.Errorf("Map(%v) = %v, want %v", tt.in, got, tt.want)
			}
			if got := m.MapPoint(tt.in); !got.In(tt.to) {
				t.Errorf("Map(%v) = %v is outside %v", tt.in, got, tt.to)
			}
		})
	}
}

func TestMapperIdentityEveryPixel(t *testing.T) {
	m, err := FrameToMonitor(37, 11, image.Rect(-37, 5, 0, 16))
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 11; y++ {
		for x := 0; x < 37; x++ {
			if gx, gy := m.Map(x, y); gx != x-37 || gy != y+5 {
				t.Fatalf("Map(%d,%d) = %d,%d", x, y, gx, gy)
			}
		}
	}
	if !m.Contains(0, 0) || m.Contains(37, 0) || m.Contains(0, -1) {
		t.Error("Contains is wrong at the edges")
	}
	if m.From() != image.Rect(0, 0, 37, 11) || m.To() != image.Rect(-37, 5, 0, 16) {
		t.Error("From/To")
	}
}

func TestMapperEmpty(t *testing.T) {
	for _, r := range [][2]image.Rectangle{
		{image.Rect(0, 0, 0, 10), image.Rect(0, 0, 10, 10)},
		{image.Rect(0, 0, 10, 10), image.Rect(5, 5, 5, 9)},
	} {
		if _, err := NewMapper(r[0], r[1]); !errors.Is(err, ErrInvalid) {
			t.Errorf("NewMapper(%v, %v) = %v", r[0], r[1], err)
		}
	}
}

func TestKnownKey(t *testing.T) {
	for key, want := range map[string]bool{
		"a": true, "A": true, "1": true, "é": true, "€": true, "/": true, "enter": true, "f12": true,
		"shift": true, "space": true, "escape": true, "esc": true, "num_enter": true,
		"": false, " ": false, "\n": false, "\x00": false, "ab": false, "Enter": false, "f25": false,
		"\xff": false, "é!": false, "\u200b": false,
	} {
		if got := KnownKey(key); got != want {
			t.Errorf("KnownKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestModifiers(t *testing.T) {
	if s := (ModShift | ModCtrl | ModSuper).String(); s != "ctrl+shift+cmd" {
		t.Errorf("String = %q", s)
	}
	if err := CheckKey("a", 1<<6); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown modifier bits: %v", err)
	}
	if got := toArgs("up", ModAlt|ModCtrl); !reflect.DeepEqual(got, []any{"up", "ctrl", "alt"}) {
		t.Errorf("toArgs = %v", got)
	}
}

func TestScrollSteps(t *testing.T) {
	tests := []struct {
		goos   string
		dx, dy int
		want   []scrollStep
	}{
		{"linux", 0, 3, []scrollStep{{0, -3, false}}},  // down: button 5 three times
		{"linux", 2, -1, []scrollStep{{-2, 1, false}}}, // right (7) twice, up (4) once
		{"darwin", 1, 2, []scrollStep{{-10, -20, false}}},
		{"windows", 0, 2, []scrollStep{{0, -2, false}}},
		{"windows", 3, 0, []scrollStep{{0, -3, true}}},
		{"windows", -1, 1, []scrollStep{{0, -1, false}, {0, 1, true}}},
		{"windows", 0, 0, nil},
	}
	for _, tt := range tests {
		if got := scrollSteps(tt.goos, tt.dx, tt.dy); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("scrollSteps(%s, %d, %d) = %v, want %v", tt.goos, tt.dx, tt.dy, got, tt.want)
		}
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		in   string
		want []textPart
	}{
		{"", nil},
		{"bonjour é", []textPart{{text: "bonjour é"}}},
		{"a\nb", []textPart{{text: "a"}, {key: "enter"}, {text: "b"}}},
		{"a\r\nb\rc\n\n", []textPart{{text: "a"}, {key: "enter"}, {text: "b"}, {key: "enter"}, {text: "c"}, {key: "enter"}, {key: "enter"}}},
		{"\tx\x00\x1by", []textPart{{key: "tab"}, {text: "xy"}}},
	}
	for _, tt := range tests {
		if got := splitText(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitText(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRecorder(t *testing.T) {
	r := NewRecorder()
	var inj Injector = r
	calls := []struct {
		call func() error
		want *Event // nil: must fail with ErrInvalid
	}{
		{func() error { return inj.Move(-5, 7) }, &Event{Kind: KindMove, X: -5, Y: 7}},
		{func() error { return inj.ButtonDown(ButtonLeft) }, &Event{Kind: KindButtonDown, Button: ButtonLeft}},
		{func() error { return inj.ButtonUp(ButtonLeft) }, &Event{Kind: KindButtonUp, Button: ButtonLeft}},
		{func() error { return inj.DoubleClick(ButtonRight) }, &Event{Kind: KindDoubleClick, Button: ButtonRight}},
		{func() error { return inj.Scroll(1, -2) }, &Event{Kind: KindScroll, X: 1, Y: -2}},
		{func() error { return inj.KeyDown("c", ModCtrl) }, &Event{Kind: KindKeyDown, Key: "c", Mods: ModCtrl}},
		{func() error { return inj.KeyUp("c", ModCtrl) }, &Event{Kind: KindKeyUp, Key: "c", Mods: ModCtrl}},
		{func() error { return inj.Type("bonjour é\n") }, &Event{Kind: KindType, Text: "bonjour é\n"}},
		{func() error { return inj.ButtonDown(0) }, nil},
		{func() error { return inj.ButtonUp(Button(9)) }, nil},
		{func() error { return inj.KeyDown("nope", 0) }, nil},
		{func() error { return inj.KeyUp("a", 0x80) }, nil},
		{func() error { return inj.Scroll(0, MaxScroll+1) }, nil},
		{func() error { return inj.Type("\xff") }, nil},
		{func() error { return inj.Type(string(make([]byte, MaxTypeLen+1))) }, nil},
	}
	var want []Event
	for i, c := range calls {
		err := c.call()
		if c.want == nil {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("call %d: %v, want ErrInvalid", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		want = append(want, *c.want)
	}
	if got := r.Events(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Events = %v, want %v", got, want)
	}
	strs := fmt.Sprint(r.Events())
	if wantS := `[move -5,7 button-down left button-up left double-click right scroll 1,-2 key-down ctrl+c key-up ctrl+c type "bonjour é\n"]`; strs != wantS {
		t.Errorf("String:\n got %s\nwant %s", strs, wantS)
	}
	if got := r.Take(); len(got) != len(want) || len(r.Events()) != 0 {
		t.Errorf("Take returned %d events, left %d", len(got), len(r.Events()))
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Move(1, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("Move after Close = %v", err)
	}
}

func TestRecorderConcurrentWait(t *testing.T) {
	r := NewRecorder()
	const writers, each = 4, 50
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := r.Move(w, i); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := r.Wait(ctx, writers*each)
	wg.Wait()
	if err != nil || len(got) < writers*each {
		t.Fatalf("Wait = %d events, %v", len(got), err)
	}
	// Each writer's events stay in its order.
	next := make([]int, writers)
	for _, e := range r.Events() {
		if e.Y != next[e.X] {
			t.Fatalf("writer %d: event %d after %d", e.X, e.Y, next[e.X]-1)
		}
		next[e.X]++
	}

	short, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := r.Wait(short, writers*each+1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait for more = %v", err)
	}
	go r.Close()
	if _, err := r.Wait(context.Background(), writers*each+1); !errors.Is(err, ErrClosed) {
		t.Errorf("Wait across Close = %v", err)
	}
}
