/* SPDX-License-Identifier: MIT */
/*
 * `twilio-alertd demo`: the agent against the bundled Monitor API
 * simulator, with no credentials and nothing outside a temporary folder.
 */
#ifndef ALERTD_DEMO_H
#define ALERTD_DEMO_H

#include <stdbool.h>

/* The demo's status page port, when free (else any free port). */
#define DEMO_PORT 8790
/* The simulator adds a new alert this often (seconds) while the demo serves. */
#define DEMO_TRICKLE "15"

/*
 * demo_run - start the simulator with generated alerts, write a config
 * and token for it into a new folder under /tmp, run `once` twice and
 * `status` with this binary (@self), show an sqlite3 query. Then, unless
 * @once, run the agent with its status page on 127.0.0.1 (DEMO_PORT or a
 * free port), the simulator adding an alert every DEMO_TRICKLE seconds,
 * until SIGINT or SIGTERM. Stops the simulator. Returns an exit status
 * (0 on success, and after a stop by signal).
 */
int demo_run(const char *self, bool once);

#endif
