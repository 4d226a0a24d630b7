//go:build ignore

// gen writes unicode_table.go: the X keysyms that stand for Unicode characters outside Latin-1, from
// keysymdef.h (Debian: x11proto-dev, which libx11-dev brings). Run by `go generate ./shared/input/keysym`.
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/tandem-remote/tandem/shared/input/keysym"
)

func main() {
	header, err := os.ReadFile(keysym.HeaderPath)
	if err != nil {
		log.Fatal(err)
	}
	src, err := keysym.GenerateTable(header)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("unicode_table.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote unicode_table.go")
}
