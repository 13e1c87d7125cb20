/*
 * The pod sandbox ("pause") process of the local cluster's real node: it holds
 * a pod's namespaces open, reaps the zombies it inherits as PID 1, and exits on
 * SIGTERM or SIGINT. Built static by scripts/cluster/node.sh into an image of
 * its own, so the node needs no image from a registry.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
	(void)sig;
	_exit(0);
}

static void reap(int sig) {
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
}

int main(void) {
	struct sigaction sa = {0};
	sa.sa_handler = stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = reap;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		pause();
	}
	return EXIT_SUCCESS;
}
