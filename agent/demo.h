/* SPDX-License-Identifier: MIT */
/*
 * `twilio-alertd demo`: the agent against the bundled Monitor API
 * simulator, with no credentials and nothing outside a temporary folder.
 */
#ifndef ALERTD_DEMO_H
#define ALERTD_DEMO_H

/*
 * demo_run - start the simulator with generated alerts, write a config
 * and token for it into a new folder under /tmp, run `once` twice and
 * `status` with this binary (@self), show an sqlite3 query, stop the
 * simulator. Returns an exit status (0 on success).
 */
int demo_run(const char *self);

#endif
