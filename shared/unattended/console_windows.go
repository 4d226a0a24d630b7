package unattended

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// noSession is what WTSGetActiveConsoleSessionId answers while no session is attached to the console.
const noSession = 0xFFFFFFFF

// consoleUID is for macOS; Windows knows its console by session (see LocalUsers).
func consoleUID() (uint32, bool) { return 0, false }

// GraphicalUsers returns the console session in the terms of peerUID (1 + its ID), if one is attached.
func GraphicalUsers(context.Context) ([]uint32, error) {
	if s := windows.WTSGetActiveConsoleSessionId(); s != noSession {
		return []uint32{s + 1}, nil
	}
	return nil, nil
}

// LocalUsers is the MayUse of a real agent: the system itself, and the processes of the session at the console
// (peerUID gives 0 for the first, 1 + the session for the others).
func LocalUsers(uid uint32) bool {
	if uid == 0 {
		return true
	}
	s := windows.WTSGetActiveConsoleSessionId()
	return s != noSession && uid == s+1
}

// LaunchHelper starts program with args as the user logged in at the console, on their desktop, with their
// environment (the agent is a service of the system, in session 0, which has no desktop).
func LaunchHelper(program string, args ...string) func(context.Context) error {
	return func(context.Context) error {
		s := windows.WTSGetActiveConsoleSessionId()
		if s == noSession {
			return errors.New("nobody is logged in at the screen")
		}
		var tok windows.Token
		if err := windows.WTSQueryUserToken(s, &tok); err != nil {
			return fmt.Errorf("the user of the console session: %w", err)
		}
		defer func() { _ = tok.Close() }()
		var env *uint16
		if err := windows.CreateEnvironmentBlock(&env, tok, false); err != nil {
			return fmt.Errorf("the user's environment: %w", err)
		}
		defer func() { _ = windows.DestroyEnvironmentBlock(env) }()
		cmd, err := windows.UTF16PtrFromString(windows.ComposeCommandLine(append([]string{program}, args...)))
		if err != nil {
			return err
		}
		desktop, _ := windows.UTF16PtrFromString(`winsta0\default`)
		si := &windows.StartupInfo{Desktop: desktop}
		si.Cb = uint32(unsafe.Sizeof(*si))
		var pi windows.ProcessInformation
		if err := windows.CreateProcessAsUser(tok, nil, cmd, nil, nil, false,
			windows.CREATE_UNICODE_ENVIRONMENT|windows.CREATE_NEW_PROCESS_GROUP, env, nil, si, &pi); err != nil {
			return fmt.Errorf("starting the helper as the console's user: %w", err)
		}
		_ = windows.CloseHandle(pi.Thread)
		_ = windows.CloseHandle(pi.Process)
		return nil
	}
}
