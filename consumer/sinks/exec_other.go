//go:build !unix

package sinks

import "os/exec"

// setProcessGroup leaves the command as exec.CommandContext made it: on
// this platform cancellation kills the command but not its children.
func setProcessGroup(*exec.Cmd) {}
