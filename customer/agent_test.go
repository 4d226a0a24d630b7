package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// The system's part of unattended access refuses what it does not understand, and says why a step failed.
func TestAgentCommandLine(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{nil, 2, "usage:"},
		{[]string{"bogus"}, 2, "usage:"},
		{[]string{"run", "-nosuchflag"}, 2, "flag provided but not defined"},
		{[]string{"install", "-root", root, "-program", filepath.Join(root, "missing")}, 1, "installing unattended access:"},
	} {
		var out bytes.Buffer
		if got := agentMain(tc.args, &out); got != tc.code || !strings.Contains(out.String(), tc.says) {
			t.Errorf("agent %q: status %d, said %q; want %d and %q", tc.args, got, out.String(), tc.code, tc.says)
		}
	}
}
