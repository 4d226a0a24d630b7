// Command loadcheck is a program that holds package pipewire and nothing else: the package's tests build it to
// check that libpipewire is not among the libraries a program needs to start, and run it to load the library.
package main

import (
	"fmt"
	"os"

	"github.com/tandem-remote/tandem/shared/capture/pipewire"
)

func main() {
	if err := pipewire.Load(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("loaded")
}
