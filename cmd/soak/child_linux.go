package main

import "syscall"

// childAttr makes the kernel kill a child when the tool dies, so an interrupted or crashed
// run leaves no broker or service behind holding its ports.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
