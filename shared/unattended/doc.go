// Package unattended is the customer's side of unattended access: a technician reaching this computer later,
// with a password, when nobody is at it to type a support key.
//
// On every system it is two programs. The agent runs privileged, started by the system at boot: it holds the
// computer's persistent identity (its certificate fingerprint is the computer ID), what it needs to check the
// password, the policy (allowed or blocked, which technicians' computers may connect), the lockout after wrong
// passwords and the access log, and it listens for technicians. A system service cannot see a user's desktop,
// so the screen, the input and the customer's windows belong to a helper that runs in the logged-in user's
// graphical session and talks to the agent over a local channel that checks who opened it.
//
// A technician's Tandem Expert connects to the agent as it would to a listener of an attended session: TLS with
// the computer's certificate, which Expert pinned when it saved the computer, then CPace with Secret (the
// password stretched by argon2id with the computer ID as salt) in place of a support key. The agent answers
// with its Gate, which refuses a blocked computer, a locked one, or a technician's computer that is not on its
// list, and names a wrong proof (WrongPassword, or PasswordChanged for a technician whose password predates the
// last change). Once the password is proved, Expert sends the link of a session it has opened (as for New
// session), and the agent hands it to the helper, which joins it as the customer's program joins an attended
// session, with the technician's name on the toolbar and End session at hand. The key of that link never
// leaves the two authenticated channels.
//
// CPace is a balanced PAKE: the agent must hold the same secret the technician's side derives. So it stores the
// argon2id output, never the password; the file is readable only by the system account, and the secret is
// worth nothing on any other computer (the salt is this computer's ID) or without a technician's computer that
// is on the list.
package unattended
