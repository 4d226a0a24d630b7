// Package version holds the program version both Tandem programs show and send in their Hello.
package version

// Program is the version of this build, set at link time with
// -ldflags "-X github.com/tandem-remote/tandem/shared/version.Program=1.2.3".
var Program = "0.1.0-dev"
