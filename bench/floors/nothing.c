/* Floor of a process start on this machine: exec, the dynamic loader, glibc, exit. */
int main(void) { return 0; }
