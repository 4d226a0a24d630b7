package transfer

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/tandem-remote/tandem/shared/protocol"
)

// plantedSize is the size of the file sent in the tests of planted partial
// files: several chunks, so that a resumption would write to the partial.
const plantedSize = 3*chunkSize + 100

// partialFor writes the file f.bin of plantedSize bytes in a new folder and
// returns its path, its bytes and the path of the partial file a receiver
// into dst looks for to resume it (named as plan names it).
func partialFor(t *testing.T, dst string) (p string, content []byte, part string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("on Windows a FileInfo has no link count: a planted hard link fails the transfer at open instead")
	}
	p = writeFile(t, t.TempDir(), "f.bin", plantedSize)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	part = partialName("f.bin", partialKey("f.bin", plantedSize, fi.ModTime().UnixNano()))
	return p, pattern("f.bin", plantedSize), filepath.Join(dst, part)
}

// outsideFile writes a file of n known bytes in a folder of its own, outside
// the one files are received into, and returns its path and bytes.
func outsideFile(t *testing.T, n int) (string, []byte) {
	t.Helper()
	p := writeFile(t, t.TempDir(), "victim", n)
	return p, pattern("victim", n)
}

// sendFresh sends p to a receiver that accepts into dst, and checks that
// the files in keep (path → bytes) were not modified, that nothing was
// resumed and that the file arrived whole under its own name.
func sendFresh(t *testing.T, p string, content []byte, dst string, keep map[string][]byte) {
	t.Helper()
	a, b := newPair(t, Config{}, Config{})
	b.acceptInto(dst)
	id, err := a.eng.Offer(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	fins := []Finished{a.finished(id), b.finished(incomingID(id))}
	for kp, want := range keep {
		unchanged(t, kp, want)
	}
	if ans := waitEvent[Answered](b, incomingID(id)); ans.Resumed != 0 {
		t.Errorf("resumed %d bytes of a planted partial file", ans.Resumed)
	}
	for _, f := range fins {
		if f.Err != nil {
			t.Fatal(f.Err)
		}
	}
	got, err := os.ReadFile(filepath.Join(dst, "f.bin"))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("received file: %d bytes (want the sender's %d), %v", len(got), len(content), err)
	}
	if ps := partials(t, dst); len(ps) != 0 {
		t.Fatalf("partial files left: %v", ps)
	}
}

// unchanged reports an error if the file at p no longer holds want.
func unchanged(t *testing.T, p string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Error(err)
	} else if !bytes.Equal(got, want) {
		t.Errorf("%s was modified: %d bytes, was %d", p, len(got), len(want))
	}
}

// TestPlantedHardLinkPartial: a hard link named like the partial file of an
// offered file, to a file outside the folder, is not resumed: the file is
// received afresh and the outside file keeps its bytes (issue 19, finding 4).
func TestPlantedHardLinkPartial(t *testing.T) {
	dst := t.TempDir()
	p, content, part := partialFor(t, dst)
	victim, before := outsideFile(t, 1000)
	if err := os.Link(victim, part); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	sendFresh(t, p, content, dst, map[string][]byte{victim: before})
	vi, err1 := os.Stat(victim)
	fi, err2 := os.Stat(filepath.Join(dst, "f.bin"))
	if err1 != nil || err2 != nil || os.SameFile(vi, fi) {
		t.Fatalf("the received file is the outside file (%v, %v)", err1, err2)
	}
}

// TestPlantedSymlinkPartial: a symbolic link named like the partial file of
// an offered file is not followed, whether it points outside the folder or
// to another file in it.
func TestPlantedSymlinkPartial(t *testing.T) {
	t.Run("outside", func(t *testing.T) {
		dst := t.TempDir()
		p, content, part := partialFor(t, dst)
		victim, before := outsideFile(t, 1000)
		if err := os.Symlink(victim, part); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
		sendFresh(t, p, content, dst, map[string][]byte{victim: before})
	})
	t.Run("inside", func(t *testing.T) {
		dst := t.TempDir()
		p, content, part := partialFor(t, dst)
		doc := writeFile(t, dst, "doc.txt", 1000)
		before := pattern("doc.txt", 1000)
		if err := os.Symlink("doc.txt", part); err != nil { // relative: os.Root would follow it
			t.Skipf("no symbolic links here: %v", err)
		}
		sendFresh(t, p, content, dst, map[string][]byte{doc: before})
	})
}

// TestPartialOfAnotherOwner: a partial file that another user owns is not
// resumed, even with the right bytes: it is replaced by one of ours.
func TestPartialOfAnotherOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("giving a file to another user needs root (CI runs as root)")
	}
	dst := t.TempDir()
	p, content, part := partialFor(t, dst)
	if err := os.WriteFile(part, content[:chunkSize+7], 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(part, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	sendFresh(t, p, content, dst, nil)
}

// TestLinkMadeAfterPlanning: a partial file that gets a second name between
// the receiver's planning and the opening of the file is refused on the open
// file: that file fails with WriteFailed and the other name keeps its bytes.
func TestLinkMadeAfterPlanning(t *testing.T) {
	dst := t.TempDir()
	p, content, part := partialFor(t, dst)
	prefix := content[:chunkSize+7]
	if err := os.WriteFile(part, prefix, 0o644); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "copy")
	var once sync.Once
	free := func(string) (uint64, error) { // called by Accept right after the planning
		once.Do(func() {
			if err := os.Link(part, outside); err != nil {
				t.Errorf("linking the partial file: %v", err)
			}
		})
		return 1 << 40, nil
	}
	a, b := newPair(t, Config{}, Config{FreeSpace: free})
	b.acceptInto(dst)
	id, err := a.eng.Offer(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	fins := []Finished{a.finished(id), b.finished(incomingID(id))}
	unchanged(t, outside, prefix)
	if ans := waitEvent[Answered](b, incomingID(id)); ans.Resumed != uint64(len(prefix)) {
		t.Fatalf("resumed %d bytes, want %d", ans.Resumed, len(prefix))
	}
	for _, f := range fins {
		wantCode(t, f.Err, protocol.WriteFailed)
	}
	if got := tree(t, dst); len(got) != 0 {
		t.Fatalf("left in the folder: %v", names(got))
	}
}
