package unattended

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/tandem-remote/tandem/shared/transport"
)

// What an unattended password must be: at least MinPasswordRunes characters, or a passphrase of at least
// MinPassphraseWords words.
const (
	MinPasswordRunes   = 10
	MinPassphraseWords = 5
	// MaxPasswordBytes bounds what is stretched (argon2id takes any length; a person never types more).
	MaxPasswordBytes = 1024
)

// argon2id parameters of Secret: 3 passes over 64 MiB with 4 lanes, as the design asks.
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 4
	// SecretSize is the bytes of a Secret.
	SecretSize = 32
)

// saltPrefix starts the salt of Secret; the computer ID follows it.
const saltPrefix = "tandem unattended password v1\x00"

// ErrWeakPassword is what CheckPassword returns for a password too short to guard a computer.
var ErrWeakPassword = errors.New("an unattended password has at least 10 characters, or 5 words")

// ErrLongPassword is what CheckPassword returns for a password over MaxPasswordBytes.
var ErrLongPassword = errors.New("an unattended password has at most 1024 bytes")

// CheckPassword says whether password is strong enough to guard unattended access: MinPasswordRunes characters
// (not counting spaces at its ends), or MinPassphraseWords words.
func CheckPassword(password string) error {
	if len(password) > MaxPasswordBytes {
		return ErrLongPassword
	}
	if !utf8.ValidString(password) {
		return ErrWeakPassword
	}
	trimmed := strings.TrimFunc(password, unicode.IsSpace)
	if utf8.RuneCountInString(trimmed) >= MinPasswordRunes || len(strings.Fields(trimmed)) >= MinPassphraseWords {
		return nil
	}
	return ErrWeakPassword
}

// Secret stretches password into what both sides confirm with CPace: argon2id (3 passes, 64 MiB, 4 lanes) with
// this computer's ID in the salt, so that the same password gives another secret on every computer. It takes a
// good fraction of a second and 64 MiB, on purpose.
func Secret(password string, computer transport.ID) []byte {
	salt := append([]byte(saltPrefix), computer[:]...)
	return argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, SecretSize)
}
