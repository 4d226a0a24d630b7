// Package report writes session reports from the history that package store keeps: participants, times and
// duration, the event timeline, consents, the whole chat log and the file transfers with sizes, hashes and
// outcomes.
//
// Two formats:
//   - HTML: one self-contained page (inline CSS; no script, image, font or link to load, and a Content Security
//     Policy that forbids them), readable on screen and printable, in English or French. Everything a peer sent
//     (names, chat, file names) is escaped by html/template, and characters that could disguise it (bidirectional
//     overrides, control characters) are shown as visible [U+XXXX] marks.
//   - JSON: a stable, documented schema (SCHEMA.md beside this file) whose "schema" field is SchemaVersion.
//
// Build turns a store.Session into a Report (the JSON document); Report.WriteHTML and Report.WriteJSON write it.
// SaveFile writes a session's report to a file (the viewer's and History's Report buttons); WriteFile is the
// command line's `tandem-expert report SESSION-ID -o FILE`; Summarize writes the History list's one-line "what
// happened".
//
// The words come from report.en.json and report.fr.json, embedded here: the project's bundles (package i18n)
// register with Fyne, which nothing under shared/ but shared/ui may import.
package report
