// SPDX-License-Identifier: MIT
/*
 * The demo drives the real binary as a user would: it writes a config
 * for the simulator, runs `twilio-alertd once` and `status` as child
 * processes, and queries the database with the sqlite3 shell.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/demo.h"
#include "base/log.h"
#include "base/util.h"
#include "version.h"

#define DEMO_ACCOUNT "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DEMO_TOKEN "sim-token"
/* Names the simulator to start instead of the installed one. */
#define DEMO_SIM_ENV "TWILIO_ALERTD_SIM"
#define DEMO_ALERTS "5000"
#define DEMO_DAYS "7"
/* The query the demo runs and prints (no single quote: it is printed in them). */
#define DEMO_QUERY                                                                                 \
	"SELECT error_code, log_level, count(*) AS alerts, max(date_created) AS newest "           \
	"FROM alerts GROUP BY error_code, log_level ORDER BY alerts DESC LIMIT 8"

static volatile sig_atomic_t demo_stop;

static pid_t spawn(char *const argv[], bool quiet);

static void on_stop(int sig)
{
	(void)sig;
	demo_stop = 1;
}

/* DEMO_PORT when nothing listens there, else a port the kernel picks; 0 on failure. */
static unsigned free_port(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	unsigned port = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	sin.sin_port = htons(DEMO_PORT);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		port = DEMO_PORT;
	} else {
		sin.sin_port = 0;
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
			port = ntohs(sin.sin_port);
	}
	close(fd);
	return port;
}

/*
 * Serve the status page: `run` in the background until the user stops the
 * demo (Ctrl-C reaches the whole process group; SIGTERM only this process,
 * which passes it on). Returns an exit status.
 */
static int serve(char *const argv[], unsigned port)
{
	struct sigaction sa = {.sa_handler = on_stop};
	int st = 0, status = 0;
	pid_t pid;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pid = spawn(argv, false);
	if (pid < 0)
		return 1;
	printf("\n== status page: http://127.0.0.1:%u/   (the simulator adds an alert every %ss;"
	       " Ctrl-C stops the demo)\n",
	       port, DEMO_TRICKLE);
	fflush(stdout);
	while (!demo_stop) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
			log_warnx("the agent stopped on its own (status %d)", status);
			return status ? status : 1;
		}
		util_sleep_ms(200, NULL);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	printf("== stopped\n");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 0;
}

/*
 * The simulator: $TWILIO_ALERTD_SIM (a build tree: tools/setup.sh demo and
 * the tests set it), else the installed copy under libexec. The binary holds
 * no path of the machine it was built on.
 */
static const char *find_sim(void)
{
	const char *env = getenv(DEMO_SIM_ENV);

	if (env && *env)
		return env;
	return ALERTD_LIBEXECDIR "/twilio-monitor-sim";
}

static pid_t spawn(char *const argv[], bool quiet)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);

			if (fd >= 0)
				dup2(fd, STDOUT_FILENO);
		}
		execv(argv[0], argv);
		fprintf(stderr, "twilio-alertd: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int run_wait(char *const argv[])
{
	int st;
	pid_t pid = spawn(argv, false);

	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int write_file(const char *path, const char *text)
{
	FILE *f;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -errno;
}

int demo_run(const char *self, bool once)
{
	char dir[] = "/tmp/twilio-alertd-demo.XXXXXX";
	char portfile[64], conf[64], token[64], db[64], text[1024], gen[128];
	char *port = NULL, *sim_argv[13], *argv[8], listen[32] = "";
	const char *sim = find_sim();
	pid_t sim_pid = -1;
	unsigned port_http = once ? 0 : free_port();
	int status = 1, r;

	if (access(sim, X_OK) < 0) {
		log_warnx("no simulator at %s: install the package, or set %s to a built "
		          "twilio-monitor-sim",
		          sim, DEMO_SIM_ENV);
		return 1;
	}
	if (!mkdtemp(dir)) {
		log_warn("cannot create a folder under /tmp");
		return 1;
	}
	snprintf(portfile, sizeof(portfile), "%s/sim.port", dir);
	snprintf(conf, sizeof(conf), "%s/demo.conf", dir);
	snprintf(token, sizeof(token), "%s/demo.token", dir);
	snprintf(db, sizeof(db), "%s/alerts.db", dir);
	snprintf(gen, sizeof(gen), "%s:%s:%s", DEMO_ACCOUNT, DEMO_ALERTS, DEMO_DAYS);

	printf("== starting the Monitor API simulator (%s) with %s alerts over %s days\n", sim,
	       DEMO_ALERTS, DEMO_DAYS);
	fflush(stdout);
	sim_argv[0] = (char *)sim;
	sim_argv[1] = (char *)"--port";
	sim_argv[2] = (char *)"0";
	sim_argv[3] = (char *)"--port-file";
	sim_argv[4] = portfile;
	sim_argv[5] = (char *)"--account";
	snprintf(text, sizeof(text), "%s:%s", DEMO_ACCOUNT, DEMO_TOKEN);
	sim_argv[6] = text;
	sim_argv[7] = (char *)"--generate";
	sim_argv[8] = gen;
	sim_argv[9] = (char *)"--quiet";
	sim_argv[10] = once ? NULL : (char *)"--trickle";
	sim_argv[11] = (char *)DEMO_TRICKLE;
	sim_argv[12] = NULL;
	sim_pid = spawn(sim_argv, true);
	if (sim_pid < 0) {
		log_warn("cannot start the simulator");
		goto out;
	}
	/* Bounded wait for the simulator to listen. */
	for (int i = 0; i < 100 && !port; i++) {
		size_t len;

		if (util_read_file(portfile, 16, &port, &len) < 0 || len == 0 ||
		    port[len - 1] != '\n') {
			free(port);
			port = NULL;
			if (waitpid(sim_pid, NULL, WNOHANG) == sim_pid) {
				sim_pid = -1;
				log_warnx("the simulator %s exited; is it built?", sim);
				goto out;
			}
			util_sleep_ms(100, NULL);
		}
	}
	if (!port) {
		log_warnx("the simulator did not start within 10s");
		goto out;
	}
	util_trim(port);
	if ((r = write_file(token, DEMO_TOKEN "\n")) < 0) {
		log_warnx("cannot write %s: %s", token, strerror(-r));
		goto out;
	}
	if (port_http)
		snprintf(listen, sizeof(listen), "127.0.0.1:%u", port_http);
	snprintf(text, sizeof(text),
	         "# Written by `twilio-alertd demo`: the agent against the simulator.\n"
	         "[agent]\n"
	         "database = %s\n"
	         "interval = 10s\n"
	         "listen = %s\n"
	         "\n"
	         "[account demo]\n"
	         "account_sid = %s\n"
	         "auth_token_file = %s\n"
	         "api_base = http://127.0.0.1:%s\n",
	         db, listen, DEMO_ACCOUNT, token, port);
	if ((r = write_file(conf, text)) < 0) {
		log_warnx("cannot write %s: %s", conf, strerror(-r));
		goto out;
	}
	printf("== config %s:\n%s\n", conf, text);
	printf("== twilio-alertd -c %s -v once   (first run: backfills the window)\n", conf);
	fflush(stdout);
	argv[0] = (char *)self;
	argv[1] = (char *)"-c";
	argv[2] = conf;
	argv[3] = (char *)"-v";
	argv[4] = (char *)"once";
	argv[5] = NULL;
	if ((status = run_wait(argv)) != 0)
		goto out;
	printf("\n== twilio-alertd -c %s -v once   (incremental: nothing new, one request)\n",
	       conf);
	fflush(stdout);
	if ((status = run_wait(argv)) != 0)
		goto out;
	printf("\n== twilio-alertd -c %s status\n", conf);
	fflush(stdout);
	argv[3] = (char *)"status";
	argv[4] = NULL;
	if ((status = run_wait(argv)) != 0)
		goto out;
	/* Exactly the command whose output follows, so that it can be pasted. */
	printf("\n== sqlite3 -header -column %s '%s'\n", db, DEMO_QUERY);
	fflush(stdout);
	if (access("/usr/bin/sqlite3", X_OK) == 0) {
		argv[0] = (char *)"/usr/bin/sqlite3";
		argv[1] = (char *)"-header";
		argv[2] = (char *)"-column";
		argv[3] = db;
		argv[4] = (char *)DEMO_QUERY;
		argv[5] = NULL;
		run_wait(argv);
	} else {
		printf("(install the sqlite3 package to run it)\n");
	}
	status = 0;
	if (!once) {
		argv[0] = (char *)self;
		argv[1] = (char *)"-c";
		argv[2] = conf;
		argv[3] = (char *)"run";
		argv[4] = NULL;
		status = serve(argv, port_http);
	}
	printf("\n== done: the database stays at %s; remove %s when finished\n", db, dir);
out:
	if (sim_pid > 0) {
		kill(sim_pid, SIGTERM);
		waitpid(sim_pid, NULL, 0);
	}
	free(port);
	return status;
}
