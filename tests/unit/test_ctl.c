// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ctl.c - the control socket: parser, report formats, server, client
 *
 * DOC: Theory of Operation
 *
 * Four parts, each against the real code in supervisor/control.c and
 * cmd/ctl.c:
 *
 * - ctl_req_parse(): a table of accepted lines (with the struct they must
 *   give) and of refused ones (with a piece of the message they must give
 *   and a struct left all zeroes), plus a message buffer too small;
 * - ctl_format(): the text report against exact lines, with no byte a
 *   terminal would act on; the JSON report parsed by /usr/bin/python3's
 *   json module, which also checks every field's value (the checker is
 *   first shown to fail on broken JSON, so it cannot pass by accident);
 *   a report of FWD_ID_MAX forwards and CONFIG_AUTOS_MAX auto rules
 *   stays under CTL_ANSWER_MAX;
 * - the server, in this process, with non-blocking clients and fake
 *   supervisor callbacks: the socket's mode and what control_open()
 *   refuses to replace, status (text, JSON, two clients served by one
 *   report, a report given at once), add/remove, a failing change, a bad
 *   request, a line too long, the client limit, the timeout (about
 *   CTL_TIMEOUT_SEC seconds), a peer of another uid (as root: a child that
 *   becomes uid 65534; otherwise a server owned by another uid), no
 *   descriptor leaked, the path gone after control_free();
 * - the client, ctl_main() in a forked child against that server: status,
 *   add, a refused change, usage errors (status 2) and a missing socket
 *   (status 1, the message naming the path).
 *
 * Prints one line per failing case and "N passed, N failed"; the exit
 * status is non-zero if anything failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/config/config.h"
#include "cmd/ctl.h"
#include "ipc/inany.h"
#include "ipc/log.h"
#include "ipc/text.h"
#include "supervisor/control.h"
#include "unit.h"

/* ARRAY_LEN - entries in an array */
#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))
/* ERR_MAX - message buffer of the parser cases, bytes */
#define ERR_MAX			512
/* SMALL_ERR - a deliberately tiny message buffer, bytes */
#define SMALL_ERR		8
/* ANSWER_MAX - largest answer a test client keeps, bytes */
#define ANSWER_MAX		65536
/* PUMP_MS - one poll() of the test's event loop, milliseconds */
#define PUMP_MS			20
/* EXCHANGE_MS - longest a request may take in a test, milliseconds */
#define EXCHANGE_MS		3000
/* CHILD_MS - longest a forked client may run, milliseconds */
#define CHILD_MS		15000
/* TIMEOUT_SLACK_MS - how late past CTL_TIMEOUT_SEC a drop may come */
#define TIMEOUT_SLACK_MS	1500
/* NOBODY - uid and gid of the foreign client in the permission case */
#define NOBODY			65534
/* LONG_LINE - bytes sent by the "line too long" client */
#define LONG_LINE		2000
/* OUT_MAX - captured stdout or stderr of a forked client, bytes */
#define OUT_MAX			65536
/* PYTHON - the JSON checker */
#define PYTHON			"/usr/bin/python3"

static char tmpdir[] = "/tmp/test_ctl.XXXXXX";

/**
 * now_ms() - CLOCK_MONOTONIC in milliseconds
 *
 * Return: milliseconds since an arbitrary start
 */
static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/**
 * struct parse_case - one line and what the parser must make of it
 * @line:	bytes
 * @len:	their number, 0 for strlen(@line)
 * @ok:		must be accepted
 * @op:		accepted: enum ctl_op
 * @json:	accepted: JSON flag
 * @opt:	accepted: 't', 'T' or 0
 * @spec:	accepted: SPEC, "" for status
 * @msg:	refused: a piece of the message
 */
struct parse_case {
	const char *line;
	size_t len;
	bool ok;
	enum ctl_op op;
	bool json;
	char opt;
	const char *spec;
	const char *msg;
};

/* ACCEPT, REFUSE, REFUSE_N - table rows: a line that parses to op, json,
 * opt and spec; a refused line and a piece of its message; the same for a
 * line of n bytes that holds a NUL */
#define ACCEPT(l, o, j, c, s)	{ l, 0, true, o, j, c, s, NULL }
#define REFUSE(l, m)		{ l, 0, false, 0, false, 0, NULL, m }
#define REFUSE_N(l, n, m)	{ l, n, false, 0, false, 0, NULL, m }

static const struct parse_case parse_cases[] = {
	ACCEPT("status", CTL_STATUS, false, 0, ""),
	ACCEPT("status\n", CTL_STATUS, false, 0, ""),
	ACCEPT("status json", CTL_STATUS, true, 0, ""),
	ACCEPT("status\tjson\n", CTL_STATUS, true, 0, ""),
	ACCEPT("add -t 8080", CTL_ADD, false, 't', "8080"),
	ACCEPT("add -u 5353:53", CTL_ADD, false, 'u', "5353:53"),
	ACCEPT("remove --udp-ns-ports 514", CTL_REMOVE, false, 'U', "514"),
	ACCEPT("add -T 53:5353\n", CTL_ADD, false, 'T', "53:5353"),
	ACCEPT("remove -t 127.0.0.1/8080", CTL_REMOVE, false, 't',
	       "127.0.0.1/8080"),
	ACCEPT("remove\t-T\t~22,1-1024\n", CTL_REMOVE, false, 'T',
	       "~22,1-1024"),
	ACCEPT("add --tcp-ports [::1]/80", CTL_ADD, false, 't', "[::1]/80"),
	ACCEPT("remove --tcp-ns-ports auto", CTL_REMOVE, false, 'T', "auto"),
	ACCEPT("add -t \"'`$(x)", CTL_ADD, false, 't', "\"'`$(x)"),
	ACCEPT("add -t 8080 --proxy-protocol", CTL_ADD, false, 't', "8080"),
	ACCEPT("add\t-T\t80\t--proxy-protocol\n", CTL_ADD, false, 'T', "80"),
	REFUSE("", "empty request: expected status, add or remove"),
	REFUSE("\n", "empty request"),
	REFUSE("stat", "unknown request \"stat\": expected status, add or "
	       "remove"),
	REFUSE("STATUS", "unknown request \"STATUS\""),
	REFUSE("status xml", "status: unknown format \"xml\""),
	REFUSE("status json x", "unexpected word \"x\""),
	REFUSE("status json json json json", "unexpected word \"json\" at "
	       "offset 22: a request has at most 4 words"),
	REFUSE("status json json json", "status json: unexpected word"),
	REFUSE("add", "add: missing option: expected -t, -T, -u or -U and a SPEC"),
	REFUSE("remove\n", "remove: missing option"),
	REFUSE("add -x 80", "add: unknown option \"-x\": expected -t, -T, -u or -U"),
	REFUSE("add -t", "add -t: missing SPEC"),
	REFUSE("remove -T\n", "remove -T: missing SPEC"),
	REFUSE("add -t=80", "unknown option \"-t=80\""),
	REFUSE("add  -t 80", "empty word at offset 4"),
	REFUSE(" status", "empty word at offset 0"),
	REFUSE("status ", "empty word at offset 7"),
	REFUSE("add -t 80 90", "add -t SPEC: unexpected word \"90\": "
	       "expected nothing or --proxy-protocol"),
	REFUSE("remove -t 80 --proxy-protocol", "remove -t SPEC: unexpected "
	       "word \"--proxy-protocol\": expected nothing"),
	REFUSE("add -u 53 --proxy-protocol", "add -u SPEC --proxy-protocol: "
	       "the PROXY header is for TCP forwards"),
	REFUSE("add -U 53 --proxy-protocol", "the PROXY header is for TCP"),
	REFUSE("add -t 80 --proxy-protocol x", "unexpected word \"x\" at "
	       "offset 27: a request has at most 4 words"),
	REFUSE("status\r\n", "NUL or control byte 0x0d at offset 6"),
	REFUSE_N("sta\0tus", 7, "NUL or control byte 0x00 at offset 3"),
	REFUSE_N("status\0", 7, "NUL or control byte 0x00 at offset 6"),
	REFUSE("status\njson", "newline at offset 6"),
	REFUSE("status\n\n", "newline at offset 6"),
	REFUSE("add -t 8\xc3\xa9", "non-ASCII byte 0xc3 at offset 8"),
	REFUSE("\x1b[31mstatus", "control byte 0x1b at offset 0"),
	REFUSE("add -t 80\x7f", "control byte 0x7f at offset 9"),
	REFUSE("add\v-t 80", "control byte 0x0b at offset 3"),
};

/**
 * check_accepted() - an accepted line gave the expected struct
 * @pc:		case
 * @r:		struct
 * @err:	message buffer, must be ""
 *
 * Return: true if everything matches
 */
static bool check_accepted(const struct parse_case *pc,
			   const struct ctl_req *r, const char *err)
{
	return !err[0] && r->op == pc->op && r->json == pc->json &&
	       r->opt == pc->opt && !strcmp(r->spec, pc->spec) &&
	       r->proxy == (strstr(pc->line, "--proxy-protocol") != NULL);
}

/**
 * parse_one() - run one table case
 * @pc:		case
 */
static void parse_one(const struct parse_case *pc)
{
	size_t len = pc->len ? pc->len : strlen(pc->line);
	char err[ERR_MAX];
	struct ctl_req r;
	int rc;

	memset(&r, 0xa5, sizeof(r));
	rc = ctl_req_parse(pc->line, len, &r, err, sizeof(err));
	if (pc->ok) {
		report(!rc && check_accepted(pc, &r, err), "parse",
		       "\"%.40s\": rc %d, op %d json %d opt %c spec \"%.40s\", "
		       "message \"%s\"", pc->line, rc, r.op, r.json,
		       r.opt ? r.opt : '0', r.spec, err);
		return;
	}
	report(rc == -1 && strstr(err, pc->msg), "parse",
	       "\"%.40s\": rc %d, message \"%s\", expected \"%s\"",
	       pc->line, rc, err, pc->msg);
	report(all_zero(&r, sizeof(r)), "parse", "\"%.40s\": refused line "
	       "left the struct filled", pc->line);
}

/**
 * parse_lengths() - the longest line that fits, and one byte more
 */
static void parse_lengths(void)
{
	static char line[CTL_LINE_MAX + 2];
	size_t head = strlen("add -t ");
	char err[ERR_MAX];
	struct ctl_req r;
	int rc;

	memcpy(line, "add -t ", head);
	memset(line + head, '1', CTL_LINE_MAX - 1 - head);
	line[CTL_LINE_MAX - 1] = '\n';
	rc = ctl_req_parse(line, CTL_LINE_MAX, &r, err, sizeof(err));
	report(!rc && strlen(r.spec) == CTL_LINE_MAX - 1 - head, "parse",
	       "longest line: rc %d, message \"%s\"", rc, err);
	rc = ctl_req_parse(line, CTL_LINE_MAX - 1, &r, err, sizeof(err));
	report(!rc, "parse", "longest line without newline: \"%s\"", err);
	line[CTL_LINE_MAX - 1] = '1';
	line[CTL_LINE_MAX] = '\n';
	rc = ctl_req_parse(line, CTL_LINE_MAX + 1, &r, err, sizeof(err));
	report(rc && strstr(err, "line too long: 1024 bytes") &&
	       all_zero(&r, sizeof(r)), "parse", "line one byte too long: "
	       "rc %d, message \"%s\"", rc, err);
	rc = ctl_req_parse(line, CTL_LINE_MAX, &r, err, sizeof(err));
	report(rc && strstr(err, "line too long"), "parse",
	       "1024 bytes without newline: rc %d, \"%s\"", rc, err);
}

/**
 * parse_small_err() - a tiny message buffer is filled, terminated, no more
 */
static void parse_small_err(void)
{
	char err[SMALL_ERR + 4];
	struct ctl_req r;
	int rc;

	memset(err, 'X', sizeof(err));
	rc = ctl_req_parse("frobnicate", 10, &r, err, SMALL_ERR);
	report(rc == -1 && strlen(err) == SMALL_ERR - 1 &&
	       err[SMALL_ERR] == 'X', "parse", "small message buffer: rc %d",
	       rc);
}

/**
 * parse_cases_all() - the whole parser part
 */
static void parse_cases_all(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(parse_cases); i++)
		parse_one(&parse_cases[i]);
	parse_lengths();
	parse_small_err();
}

/* ------------------------------------------------------------------ */
/* Formatter                                                           */
/* ------------------------------------------------------------------ */

/* Expected pieces of the text report of sample_status() */
static const char *const text_expect[] = {
	"nsplice 0.1.0  target netns /run/netns/we\"ird\\?\xc3\xa9?\n",
	"\nflows 2 of 1000 (TCP)  udp flows 0  listeners waiting 1  counters "
	"250 ms old\n",
	"\nforwards 3\n",
	"\n  -t 127.0.0.1:8080 -> 80  side host  source args  bound yes  "
	"open 2  accepted 10  refused 1  errors 0  bytes c->s 100 s->c 2000\n",
	"\n  -T [::1%eth0]:5353 -> [fd00::1]:53  side namespace  source ctl  "
	"bound no  open 0  accepted 0  refused 0  errors 7  bytes c->s 0 "
	"s->c 0\n",
	"\n  -t 0.0.0.0:443 -> 10.0.0.2:8443  side host  source auto  bound "
	"yes  open 0  accepted 0  refused 0  errors 0  bytes c->s 0 s->c "
	"18446744073709551615  proxy-protocol v2\n",
	"\nauto rules 3\n"
	"  -t auto,~22  side host  source args  listen 0.0.0.0%eth0,[::%eth0]  "
	"allowed 1024-65535  forwarding 2\n"
	"  -U auto,5?\"3  side namespace  source ctl  listen 127.0.0.1  "
	"allowed 53,8000-8002  forwarding 0\n"
	"  -T auto  side namespace  source file  listen [::1]  allowed none  "
	"forwarding 0\n"
	"processes 2\n  supervisor  pid 100  running  restarts 0\n"
	"  relay  pid 101  restarting  restarts 3\n",
};

/*
 * The JSON checker: parses stdin and compares every value with what
 * sample_status() (argv[1] "full") or an empty report ("empty") holds.
 */
static const char json_check[] =
	"import json, sys\n"
	"d = json.load(sys.stdin)\n"
	"if sys.argv[1] == 'empty':\n"
	"    assert d == {'version': '0.1.0', 'target': None, 'flows': 0,\n"
	"                 'flow_limit': 0, 'udp_flows': 0, 'waiting': 0,\n"
	"                 'stats_age_ms': 0,\n"
	"                 'forwards': [], 'auto_rules': [],\n"
	"                 'processes': []}, d\n"
	"    sys.exit(0)\n"
	"t = 'netns /run/netns/we' + chr(34) + 'ird' + chr(92) + chr(1) + \\\n"
	"    chr(0xe9) + chr(0xfffd)\n"
	"assert d['version'] == '0.1.0' and d['target'] == t, d['target']\n"
	"assert (d['flows'], d['flow_limit'], d['udp_flows'], d['waiting'],\n"
	"        d['stats_age_ms']) == (2, 1000, 0, 1, 250), d\n"
	"f = d['forwards']\n"
	"assert f[0] == {'opt': 't', 'side': 'host', 'family': 'ipv4',\n"
	"    'listen_address': '127.0.0.1', 'listen_port': 8080,\n"
	"    'interface': '', 'target_address': None, 'target_port': 80,\n"
	"    'source': 'args', 'bound': True, 'open': 2, 'accepted': 10,\n"
	"    'refused': 1, 'errors': 0, 'bytes_to_server': 100,\n"
	"    'bytes_to_client': 2000, 'protocol': 'tcp',\n"
	"    'proxy_protocol': False}, f[0]\n"
	"assert (f[1]['opt'], f[1]['side'], f[1]['family'],\n"
	"        f[1]['listen_address'], f[1]['listen_port'],\n"
	"        f[1]['interface'], f[1]['target_address'],\n"
	"        f[1]['target_port'], f[1]['source'], f[1]['bound'],\n"
	"        f[1]['errors']) == ('T', 'namespace', 'ipv6', '::1', 5353,\n"
	"        'eth0', 'fd00::1', 53, 'ctl', False, 7), f[1]\n"
	"assert (f[2]['target_address'], f[2]['target_port'], f[2]['source'],\n"
	"        f[2]['bytes_to_client']) == ('10.0.0.2', 8443, 'auto',\n"
	"        2**64 - 1), f[2]\n"
	"assert f[2]['proxy_protocol'] is True, f[2]\n"
	"assert len(f) == 3\n"
	"assert [x['protocol'] for x in f] == ['tcp'] * 3, f\n"
	"a = d['auto_rules']\n"
	"assert a[0] == {'opt': 't', 'side': 'host', 'protocol': 'tcp',\n"
	"    'spec': 'auto,~22', 'source': 'args', 'listen': [\n"
	"        {'family': 'ipv4', 'address': '0.0.0.0', 'interface': 'eth0'},\n"
	"        {'family': 'ipv6', 'address': '::', 'interface': 'eth0'}],\n"
	"    'allowed': '1024-65535', 'forwarding': 2}, a[0]\n"
	"assert a[1] == {'opt': 'U', 'side': 'namespace', 'protocol': 'udp',\n"
	"    'spec': 'auto,5' + chr(1) + chr(34) + '3', 'source': 'ctl',\n"
	"    'listen': [{'family': 'ipv4', 'address': '127.0.0.1',\n"
	"                'interface': ''}],\n"
	"    'allowed': '53,8000-8002', 'forwarding': 0}, a[1]\n"
	"assert (a[2]['opt'], a[2]['source'], a[2]['allowed'],\n"
	"        a[2]['forwarding']) == ('T', 'file', 'none', 0), a[2]\n"
	"assert len(a) == 3\n"
	"assert d['processes'] == [\n"
	"    {'name': 'supervisor', 'pid': 100, 'state': 'running',\n"
	"     'restarts': 0},\n"
	"    {'name': 'relay', 'pid': 101, 'state': 'restarting',\n"
	"     'restarts': 3}], d['processes']\n";

static struct ctl_fwd_status sample_fwd[3];
static struct auto_rule sample_rule[3];
static struct ctl_auto_status sample_auto[3];

/**
 * addr() - parse an address the test writes
 * @text:	address
 * @a:		output
 *
 * Return: its family
 */
static int addr(const char *text, union inany *a)
{
	int af;

	if (inany_parse(text, &af, a))
		die("inany_parse");
	return af;
}

/**
 * sample_forwards() - three forwards covering both sides, both families,
 * an interface, explicit targets and every source the text shows
 */
static void sample_forwards(void)
{
	struct ctl_fwd_status *f = sample_fwd;

	memset(sample_fwd, 0, sizeof(sample_fwd));
	f[0] = (struct ctl_fwd_status){ .opt = 't', .src = CONFIG_SRC_ARGS,
		.bound = true, .c = { .open = 2, .accepted = 10, .refused = 1,
		.bytes = { 100, 2000 } } };
	f[0].m.family = (uint8_t)addr("127.0.0.1", &f[0].m.listen_addr);
	f[0].m.listen_side = SIDE_HOST;
	f[0].m.listen_port = 8080;
	f[0].m.target_port = 80;
	f[1] = (struct ctl_fwd_status){ .opt = 'T', .src = CONFIG_SRC_CTL,
		.c = { .errors = 7 } };
	f[1].m.family = (uint8_t)addr("::1", &f[1].m.listen_addr);
	f[1].m.listen_side = SIDE_TARGET;
	strcpy(f[1].m.ifname, "eth0");
	f[1].m.listen_port = 5353;
	f[1].m.flags = FWD_F_TARGET_ADDR;
	f[1].m.target_family = (uint8_t)addr("fd00::1", &f[1].m.target_addr);
	f[1].m.target_port = 53;
	f[2] = (struct ctl_fwd_status){ .opt = 't', .src = CONFIG_SRC_AUTO,
		.bound = true, .c = { .bytes = { 0, UINT64_MAX } } };
	f[2].m.family = (uint8_t)addr("0.0.0.0", &f[2].m.listen_addr);
	f[2].m.listen_port = 443;
	f[2].m.flags = FWD_F_TARGET_ADDR | FWD_F_OPTIONAL | FWD_F_PROXY;
	f[2].m.target_family = (uint8_t)addr("10.0.0.2", &f[2].m.target_addr);
	f[2].m.target_port = 8443;
}

/**
 * sample_tmpl() - a listen template of an auto rule
 * @r:		rule, its @ntmpl incremented
 * @text:	listen address
 * @ifname:	interface, "" for none
 */
static void sample_tmpl(struct auto_rule *r, const char *text,
			const char *ifname)
{
	struct msg_forward *m = &r->tmpl[r->ntmpl++].m;

	m->family = (uint8_t)addr(text, &m->listen_addr);
	strcpy(m->ifname, ifname);
}

/**
 * sample_autos() - three auto rules: both sides, both protocols, two
 * templates with an interface, ranges with holes, none allowed at all,
 * and hostile bytes in a SPEC
 */
static void sample_autos(void)
{
	struct auto_rule *r = sample_rule;
	unsigned p, i;

	memset(sample_rule, 0, sizeof(sample_rule));
	r[0] = (struct auto_rule){ .opt = 't', .src = CONFIG_SRC_ARGS,
				   .spec = "auto,~22" };
	sample_tmpl(&r[0], "0.0.0.0", "eth0");
	sample_tmpl(&r[0], "::", "eth0");
	for (p = 1024; p < PORTSET_PORTS; p++)
		portset_add(r[0].allowed, (uint16_t)p);
	r[1] = (struct auto_rule){ .opt = 'U', .src = CONFIG_SRC_CTL,
				   .spec = "auto,5\x01\"3" };
	sample_tmpl(&r[1], "127.0.0.1", "");
	r[1].tmpl[0].m.listen_side = SIDE_TARGET;
	r[1].tmpl[0].m.flags = FWD_F_UDP;
	portset_add(r[1].allowed, 53);
	for (p = 8000; p <= 8002; p++)
		portset_add(r[1].allowed, (uint16_t)p);
	r[2] = (struct auto_rule){ .opt = 'T', .src = CONFIG_SRC_FILE,
				   .spec = "auto" };
	sample_tmpl(&r[2], "::1", "");
	r[2].tmpl[0].m.listen_side = SIDE_TARGET;
	for (i = 0; i < ARRAY_LEN(sample_auto); i++)
		sample_auto[i] = (struct ctl_auto_status){ &r[i], 0 };
	sample_auto[0].ports = 2;
}

/**
 * sample_status() - a report with hostile bytes in its target string
 * @st:		output
 */
static void sample_status(struct ctl_status *st)
{
	sample_forwards();
	sample_autos();
	memset(st, 0, sizeof(*st));
	st->version = "0.1.0";
	st->target = "netns /run/netns/we\"ird\\\x01\xc3\xa9\xff";
	st->fwd = sample_fwd;
	st->nfwd = ARRAY_LEN(sample_fwd);
	st->autos = sample_auto;
	st->nautos = ARRAY_LEN(sample_auto);
	st->proc[0] = (struct ctl_proc_status){ "supervisor", 100, "running",
						0 };
	st->proc[1] = (struct ctl_proc_status){ "relay", 101, "restarting",
						3 };
	st->nproc = 2;
	st->flows = 2;
	st->flow_limit = 1000;
	st->waiting = 1;
	st->stats_age_ms = 250;
}

/**
 * python_check() - run the JSON checker on some text
 * @json:	text
 * @len:	its length
 * @mode:	"full" or "empty", or "broken" (expected to fail: its
 *		complaint is not shown)
 *
 * Return: the checker's exit status, or -1 if it could not run
 */
static int python_check(const char *json, size_t len, const char *mode)
{
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd))
		die("pipe");
	if (!(pid = fork())) {
		dup2(pfd[0], 0);
		if (!strcmp(mode, "broken"))
			dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 2);
		close(pfd[0]);
		close(pfd[1]);
		execl(PYTHON, PYTHON, "-c", json_check, mode, (char *)NULL);
		_exit(127);
	}
	close(pfd[0]);
	if (pid < 0)
		die("fork");
	signal(SIGPIPE, SIG_IGN);
	n = write(pfd[1], json, len);
	close(pfd[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return n == (ssize_t)len ? WEXITSTATUS(status) : -1;
}

/**
 * format_text() - the text report, line by line
 * @st:		report
 */
static void format_text(const struct ctl_status *st)
{
	size_t len, i;
	char *out, *safe;
	int rc;

	rc = ctl_format(st, false, &out, &len);
	report(!rc && out && strlen(out) == len, "format", "text: rc %d", rc);
	if (rc)
		return;
	for (i = 0; i < ARRAY_LEN(text_expect); i++)
		report(strstr(out, text_expect[i]) != NULL, "format",
		       "text lacks \"%s\"; report:\n%s", text_expect[i], out);
	/* terminal-safe: cleaning it again changes nothing */
	safe = malloc(len + 1);
	if (!safe)
		die("malloc");
	i = text_safe(safe, out, len, TEXT_KEEP_NL, NULL);
	report(i == len && !memcmp(safe, out, len), "format",
	       "text not terminal-safe: %zu of %zu bytes kept", i, len);
	free(safe);
	free(out);
}

/**
 * format_json() - the JSON report, checked by a real JSON parser
 * @st:		report
 */
static void format_json(const struct ctl_status *st)
{
	struct ctl_status empty = { .version = "0.1.0" };
	size_t len;
	char *out;
	int rc;

	rc = python_check("{\"version\":", 11, "broken");
	report(rc > 0, "format", "JSON checker accepted broken JSON (%d)", rc);
	rc = ctl_format(st, true, &out, &len);
	report(!rc && strlen(out) == len && out[len - 1] == '\n', "format",
	       "json: rc %d", rc);
	if (rc)
		return;
	rc = python_check(out, len, "full");
	report(!rc, "format", "JSON check failed (%d); report:\n%s", rc, out);
	free(out);
	rc = ctl_format(&empty, true, &out, &len);
	report(!rc && !python_check(out, len, "empty"), "format",
	       "empty JSON report refused: %s", rc ? "-" : out);
	if (!rc)
		free(out);
}

/**
 * large_autos() - CONFIG_AUTOS_MAX auto rules with the longest port lists
 * @a:		rules, filled
 * @st:		their report entries, filled
 *
 * Every other port allowed: the most ranges a rule can list.
 */
static void large_autos(struct auto_rule *a, struct ctl_auto_status *st)
{
	unsigned i, p;

	for (i = 0; i < CONFIG_AUTOS_MAX; i++) {
		a[i].opt = 'u';
		a[i].spec = "auto";
		sample_tmpl(&a[i], "fd00:1:2:3:4:5:6:7", "iiiiiiiiiiiiiii");
		sample_tmpl(&a[i], "255.255.255.255", "iiiiiiiiiiiiiii");
		for (p = 1; p < PORTSET_PORTS; p += 2)
			portset_add(a[i].allowed, (uint16_t)p);
		st[i] = (struct ctl_auto_status){ &a[i], UINT_MAX };
	}
}

/**
 * format_large() - the largest configuration fits in CTL_ANSWER_MAX
 */
static void format_large(void)
{
	static struct auto_rule rules[CONFIG_AUTOS_MAX];
	static struct ctl_auto_status autos[CONFIG_AUTOS_MAX];
	struct ctl_status st = { .version = "0.1.0", .target = "pid 1" };
	struct ctl_fwd_status *f = calloc(FWD_ID_MAX, sizeof(*f));
	size_t len = 0, i;
	char *out = NULL;
	int rc;

	if (!f)
		die("calloc");
	large_autos(rules, autos);
	st.autos = autos;
	st.nautos = CONFIG_AUTOS_MAX;
	for (i = 0; i < FWD_ID_MAX; i++) {
		f[i].opt = 't';
		f[i].m.family = (uint8_t)addr("fd00:1:2:3:4:5:6:7",
					      &f[i].m.listen_addr);
		f[i].m.flags = FWD_F_TARGET_ADDR;
		f[i].m.target_family = f[i].m.family;
		f[i].m.target_addr = f[i].m.listen_addr;
		memset(f[i].m.ifname, 'i', IF_NAMESIZE - 1);
		f[i].m.listen_port = f[i].m.target_port = 65535;
		f[i].c.accepted = f[i].c.refused = f[i].c.errors = UINT64_MAX;
		f[i].c.bytes[0] = f[i].c.bytes[1] = UINT64_MAX;
		f[i].c.open = UINT32_MAX;
	}
	st.fwd = f;
	st.nfwd = FWD_ID_MAX;
	rc = ctl_format(&st, true, &out, &len);
	report(!rc && len < CTL_ANSWER_MAX, "format", "JSON of %u forwards "
	       "and %d auto rules: rc %d, %zu bytes", FWD_ID_MAX,
	       CONFIG_AUTOS_MAX, rc, len);
	free(out);
	free(f);
}

/**
 * format_udp_flows() - the header sums the open flows of UDP forwards
 */
static void format_udp_flows(void)
{
	struct ctl_fwd_status f[3];
	struct ctl_status st;
	char *out = NULL;
	size_t len = 0;

	memset(&st, 0, sizeof(st));
	memset(f, 0, sizeof(f));
	f[0].opt = 'u';
	f[0].c.open = 5;
	f[1].opt = 't';
	f[1].c.open = 7;
	f[2].opt = 'U';
	f[2].c.open = 2;
	st.version = "0.1.0";
	st.fwd = f;
	st.nfwd = 3;
	st.flows = 7;
	st.flow_limit = 100;
	if (!ctl_format(&st, false, &out, &len))
		report(strstr(out, "flows 7 of 100 (TCP)  udp flows 7 ") != NULL,
		       "format", "UDP flows not summed in the text: %s", out);
	free(out);
	out = NULL;
	if (!ctl_format(&st, true, &out, &len))
		report(strstr(out, "\"udp_flows\":7,") != NULL, "format",
		       "UDP flows not summed in the JSON: %s", out);
	free(out);
}

/**
 * format_cases_all() - the whole formatter part
 */
static void format_cases_all(void)
{
	struct ctl_status st;

	sample_status(&st);
	format_text(&st);
	format_json(&st);
	format_large();
	format_udp_flows();
}

/* ------------------------------------------------------------------ */
/* Server                                                              */
/* ------------------------------------------------------------------ */

/**
 * struct fake - the supervisor side of the server under test
 * @c:		server
 * @st:		report handed out, NULL to hold requests
 * @at_once:	call control_status_ready() from inside the callback
 * @status_calls: times the server asked for a report
 * @answered:	of those, answered by pump()
 * @change_calls: times the server asked for a change
 * @later:	token of a change whose answer pump() gives, 0 if none
 * @last:	the last change asked
 */
struct fake {
	struct control *c;
	const struct ctl_status *st;
	bool at_once;
	unsigned status_calls;
	unsigned answered;
	unsigned change_calls;
	uint32_t later;
	struct ctl_req last;
};

/**
 * fake_status() - ops->status: count, and answer at once if told to
 * @ctx:	struct fake
 */
static void fake_status(void *ctx)
{
	struct fake *f = ctx;

	f->status_calls++;
	if (f->at_once) {
		f->answered = f->status_calls;
		control_status_ready(f->c, f->st);
	}
}

/**
 * fake_change() - ops->change: refuse SPEC "7777", answer "8181" later
 *		   (pump() does, with a warning), accept anything else
 * @ctx:	struct fake
 * @r:		request
 * @token:	its token for control_change_done()
 * @err:	message buffer
 * @errlen:	its size
 *
 * The refusal's message has a newline, which must not split the answer.
 *
 * Return: 0, 1 or -1
 */
static int fake_change(void *ctx, const struct ctl_req *r, uint32_t token,
		       char *err, size_t errlen)
{
	struct fake *f = ctx;

	f->change_calls++;
	f->last = *r;
	if (!strcmp(r->spec, "8181")) {
		f->later = token;
		return 1;
	}
	if (strcmp(r->spec, "7777"))
		return 0;
	snprintf(err, errlen, "-%c 7777 is not forwarded\nsecond line",
		 r->opt);
	return -1;
}

static const struct ctl_ops fake_ops = {
	.status = fake_status,
	.change = fake_change,
};

/**
 * pump() - one round of the event loop a supervisor would run
 * @f:		fake supervisor
 * @ms:		poll() timeout
 *
 * Also hands out the report for any request not answered yet, when
 * @f->st is set and @f->at_once is not.
 */
static void pump(struct fake *f, int ms)
{
	struct pollfd p[1 + CTL_CLIENTS_MAX];
	unsigned n = control_pollfds(f->c, p, ARRAY_LEN(p));

	if (poll(p, n, ms) > 0)
		control_events(f->c, p, n);
	control_tick(f->c);
	if (f->st && !f->at_once && f->status_calls > f->answered) {
		f->answered = f->status_calls;
		control_status_ready(f->c, f->st);
	}
	if (f->later) {
		control_change_done(f->c, f->later + 1, "wrong token");
		control_change_done(f->c, f->later, "-t 8181: cannot listen "
				    "on 127.0.0.1:8181: address in use\nx");
		f->later = 0;
	}
}

/**
 * client_open() - connect a non-blocking test client
 * @path:	socket path
 *
 * Return: connected socket
 */
static int client_open(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	strcpy(sun.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		die("client connect");
	return fd;
}

/**
 * client_send() - send bytes from a test client
 * @fd:		client
 * @s:		bytes
 * @len:	their number, small enough for the socket buffer
 */
static void client_send(int fd, const char *s, size_t len)
{
	if (send(fd, s, len, MSG_NOSIGNAL) != (ssize_t)len)
		die("client send");
}

/**
 * client_read() - pump until a client has its whole answer
 * @f:		fake supervisor
 * @fd:		client, closed here
 * @buf:	answer, ANSWER_MAX bytes, NUL-terminated
 * @ms:		longest wait
 *
 * Return: bytes read, or -1 if the server did not close in time
 */
static ssize_t client_read(struct fake *f, int fd, char *buf, long ms)
{
	long deadline = now_ms() + ms;
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while (now_ms() < deadline) {
		pump(f, PUMP_MS);
		n = recv(fd, buf + len, ANSWER_MAX - 1 - len, MSG_DONTWAIT);
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
		} else if (!n || errno != EAGAIN || len == ANSWER_MAX - 1) {
			close(fd);
			return (ssize_t)len;
		}
	}
	close(fd);
	return -1;
}

/**
 * exchange() - one client, one request, its answer
 * @f:		fake supervisor
 * @path:	socket path
 * @req:	request bytes
 * @buf:	answer, ANSWER_MAX bytes
 *
 * Return: bytes of the answer, -1 on timeout
 */
static ssize_t exchange(struct fake *f, const char *path, const char *req,
			char *buf)
{
	int fd = client_open(path);

	client_send(fd, req, strlen(req));
	shutdown(fd, SHUT_WR);
	return client_read(f, fd, buf, EXCHANGE_MS);
}

/**
 * server_start() - control_open() and control_new() at @path
 * @f:		fake supervisor, reset; @f->c set
 * @path:	socket path
 * @owner:	uid allowed besides root
 */
static void server_start(struct fake *f, const char *path, uid_t owner)
{
	char err[ERR_MAX];
	int fd;

	memset(f, 0, sizeof(*f));
	fd = control_open(path, err, sizeof(err));
	if (fd < 0) {
		printf("FAIL setup: control_open: %s\n", err);
		exit(1);
	}
	if (!(f->c = control_new(fd, path, owner, &fake_ops, f)))
		die("control_new");
}

/**
 * open_refusals() - what control_open() must not replace or accept
 * @path:	path of a live control socket
 */
static void open_refusals(const char *path)
{
	char err[ERR_MAX], other[sizeof(tmpdir) + 16], lng[200];
	struct stat st;
	int fd;

	fd = control_open(path, err, sizeof(err));
	report(fd < 0 && strstr(err, "in use by a running process"), "open",
	       "second server on a live socket: fd %d, \"%s\"", fd, err);
	snprintf(other, sizeof(other), "%s/file", tmpdir);
	close(open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	fd = control_open(other, err, sizeof(err));
	report(fd < 0 && strstr(err, "exists and is not a socket") &&
	       !lstat(other, &st) && S_ISREG(st.st_mode), "open",
	       "regular file at the path: fd %d, \"%s\"", fd, err);
	unlink(other);
	memset(lng, 'a', sizeof(lng) - 1);
	lng[0] = '/';
	lng[sizeof(lng) - 1] = '\0';
	fd = control_open(lng, err, sizeof(err));
	report(fd < 0 && strstr(err, "path too long"), "open",
	       "long path: fd %d, \"%s\"", fd, err);
}

/**
 * open_stale() - a socket nobody listens on is replaced, mode is 0600
 */
static void open_stale(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char err[ERR_MAX];
	struct stat st;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/stale", tmpdir);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)))
		die("bind stale socket");
	close(fd);
	chmod(sun.sun_path, 0666);
	fd = control_open(sun.sun_path, err, sizeof(err));
	report(fd >= 0, "open", "stale socket not replaced: \"%s\"", err);
	report(!lstat(sun.sun_path, &st) && S_ISSOCK(st.st_mode) &&
	       (st.st_mode & 07777) == 0600, "open", "socket mode %o, "
	       "expected 0600", (unsigned)(st.st_mode & 07777));
	if (fd >= 0)
		close(fd);
	unlink(sun.sun_path);
}

/**
 * serve_status() - status as text, as JSON, two clients on one report,
 * and a report given from inside the callback
 * @f:		fake supervisor with a running server
 * @path:	its path
 * @st:		report
 */
static void serve_status(struct fake *f, const char *path,
			 const struct ctl_status *st)
{
	char buf[ANSWER_MAX], buf2[ANSWER_MAX];
	ssize_t n;
	int a, b;

	f->st = st;
	n = exchange(f, path, "status\n", buf);
	report(n > 0 && !strncmp(buf, "ok\nnsplice 0.1.0  target", 24) &&
	       f->status_calls == 1, "server", "status: %zd bytes, %u calls: "
	       "\"%.60s\"", n, f->status_calls, buf);
	n = exchange(f, path, "status json", buf);
	report(n > 0 && !strncmp(buf, "ok\n{\"version\":\"0.1.0\",", 22) &&
	       !python_check(buf + 3, (size_t)n - 3, "full"), "server",
	       "status json: \"%.60s\"", buf);
	f->st = NULL;
	f->status_calls = f->answered = 0;
	a = client_open(path);
	b = client_open(path);
	client_send(a, "status\n", 7);
	client_send(b, "status json\n", 12);
	for (n = 0; n < EXCHANGE_MS / PUMP_MS / 4; n++)
		pump(f, PUMP_MS);
	report(f->status_calls == 1, "server", "two waiting clients: %u "
	       "status calls, expected 1", f->status_calls);
	control_status_ready(f->c, st);
	f->answered = f->status_calls;
	client_read(f, a, buf, EXCHANGE_MS);
	client_read(f, b, buf2, EXCHANGE_MS);
	report(!strncmp(buf, "ok\nnsplice", 10) && !strncmp(buf2, "ok\n{", 4),
	       "server", "two clients: \"%.20s\" and \"%.20s\"", buf, buf2);
	f->st = st;
	f->at_once = true;
	n = exchange(f, path, "status\n", buf);
	report(n > 0 && !strncmp(buf, "ok\nnsplice", 10), "server",
	       "report given at once: \"%.40s\"", buf);
	f->at_once = false;
}

/**
 * serve_changes() - add, remove, a refused change, a bad request
 * @f:		fake supervisor with a running server
 * @path:	its path
 */
static void serve_changes(struct fake *f, const char *path)
{
	char buf[ANSWER_MAX];
	ssize_t n;

	n = exchange(f, path, "add -t 8080\n", buf);
	report(n == 3 && !strcmp(buf, "ok\n") && f->last.op == CTL_ADD &&
	       f->last.opt == 't' && !strcmp(f->last.spec, "8080"), "server",
	       "add: \"%s\", spec \"%s\"", buf, f->last.spec);
	n = exchange(f, path, "remove -T 53", buf);
	report(n == 3 && f->last.op == CTL_REMOVE && f->last.opt == 'T' &&
	       !strcmp(f->last.spec, "53"), "server", "remove: \"%s\"", buf);
	n = exchange(f, path, "add -t 7777\n", buf);
	report(!strcmp(buf, "error: -t 7777 is not forwarded?second "
		       "line\n"), "server", "refused change: \"%s\"", buf);
	n = exchange(f, path, "add -t 8181\n", buf);
	report(!strcmp(buf, "ok: -t 8181: cannot listen on 127.0.0.1:8181: "
		       "address in use?x\n"), "server",
	       "add answered later, with a warning: \"%s\"", buf);
	f->change_calls = 0;
	n = exchange(f, path, "frobnicate\n", buf);
	report(!strcmp(buf, "error: unknown request \"frobnicate\": expected "
		       "status, add or remove\n") && !f->change_calls,
	       "server", "bad request: \"%s\"", buf);
	n = exchange(f, path, "", buf);
	report(n > 0 && strstr(buf, "error: empty request"), "server",
	       "empty request: \"%s\"", buf);
}

/**
 * serve_long_line() - more than CTL_LINE_MAX bytes without a newline
 * @f:		fake supervisor with a running server
 * @path:	its path
 */
static void serve_long_line(struct fake *f, const char *path)
{
	char buf[ANSWER_MAX], line[LONG_LINE];
	int fd = client_open(path);

	memset(line, 'a', sizeof(line));
	client_send(fd, line, sizeof(line));
	client_read(f, fd, buf, EXCHANGE_MS);
	report(!strcmp(buf, "error: request longer than 1024 bytes\n"),
	       "server", "long line: \"%s\"", buf);
}

/**
 * serve_limit() - beyond CTL_CLIENTS_MAX clients the listener rests
 * @f:		fake supervisor with a running server
 * @path:	its path
 */
static void serve_limit(struct fake *f, const char *path)
{
	struct pollfd p[1 + CTL_CLIENTS_MAX];
	int fd[CTL_CLIENTS_MAX + 1], i, listener;
	unsigned n, calls = f->change_calls;
	char buf[ANSWER_MAX];

	n = control_pollfds(f->c, p, ARRAY_LEN(p));
	listener = p[0].fd;
	for (i = 0; i < CTL_CLIENTS_MAX + 1; i++)
		fd[i] = client_open(path);
	for (i = 0; i < 10; i++)
		pump(f, PUMP_MS);
	n = control_pollfds(f->c, p, ARRAY_LEN(p));
	report(n == CTL_CLIENTS_MAX && p[0].fd != listener, "server",
	       "%d clients: %u poll entries, listener %s", CTL_CLIENTS_MAX + 1,
	       n, p[0].fd == listener ? "polled" : "not polled");
	client_send(fd[CTL_CLIENTS_MAX], "add -t 1\n", 9);
	for (i = 0; i < CTL_CLIENTS_MAX; i++) {
		client_send(fd[i], "add -t 2\n", 9);
		client_read(f, fd[i], buf, EXCHANGE_MS);
	}
	client_read(f, fd[CTL_CLIENTS_MAX], buf, EXCHANGE_MS);
	report(!strcmp(buf, "ok\n") &&
	       f->change_calls == calls + CTL_CLIENTS_MAX + 1, "server",
	       "client beyond the limit, served later: \"%s\", %u changes",
	       buf, f->change_calls - calls);
	n = control_pollfds(f->c, p, ARRAY_LEN(p));
	report(n == 1 && p[0].fd == listener, "server", "after the burst: "
	       "%u poll entries", n);
}

/**
 * serve_timeout() - a client that sends nothing is dropped in time
 * @f:		fake supervisor with a running server
 * @path:	its path
 */
static void serve_timeout(struct fake *f, const char *path)
{
	long start = now_ms(), took;
	char buf[ANSWER_MAX];
	ssize_t n;
	int fd = client_open(path);

	client_send(fd, "sta", 3);
	n = client_read(f, fd, buf, CTL_TIMEOUT_SEC * 1000L +
			TIMEOUT_SLACK_MS * 2);
	took = now_ms() - start;
	report(n > 0 && strstr(buf, "error: timed out") &&
	       took >= CTL_TIMEOUT_SEC * 1000L - PUMP_MS &&
	       took <= CTL_TIMEOUT_SEC * 1000L + TIMEOUT_SLACK_MS, "server",
	       "idle client: %zd bytes \"%s\" after %ld ms", n, buf, took);
}

/**
 * child_redirect() - send a forked client's output to files
 * @out:	stdout file
 * @errf:	stderr file
 */
static void child_redirect(const char *out, const char *errf)
{
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
		_exit(125);
}

/**
 * slurp() - read a small file
 * @path:	file
 * @buf:	contents, OUT_MAX bytes, NUL-terminated
 */
static void slurp(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, OUT_MAX - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/**
 * run_ctl() - run ctl_main() in a child while this process serves
 * @f:		fake supervisor with a running server, or NULL
 * @drop:	in the child, become uid and gid NOBODY first
 * @argv:	arguments of ctl_main(), NULL-terminated
 * @out:	the child's stdout, OUT_MAX bytes
 * @errout:	its stderr, OUT_MAX bytes
 *
 * Return: its exit status, or -1 if it did not end in time or crashed
 */
static int run_ctl(struct fake *f, bool drop, char **argv, char *out,
		   char *errout)
{
	char opath[sizeof(tmpdir) + 8], epath[sizeof(tmpdir) + 8];
	long deadline = now_ms() + CHILD_MS;
	int argc = 0, status;
	pid_t pid;

	snprintf(opath, sizeof(opath), "%s/out", tmpdir);
	snprintf(epath, sizeof(epath), "%s/err", tmpdir);
	while (argv[argc])
		argc++;
	if (!(pid = fork())) {
		child_redirect(opath, epath);
		if (drop && (setgroups(0, NULL) ||
			     setresgid(NOBODY, NOBODY, NOBODY) ||
			     setresuid(NOBODY, NOBODY, NOBODY)))
			_exit(126);
		status = ctl_main(argc, argv);
		fflush(NULL);
		_exit(status);
	}
	if (pid < 0)
		die("fork");
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		if (f)
			pump(f, PUMP_MS);
		else
			poll(NULL, 0, PUMP_MS);
	}
	slurp(opath, out);
	slurp(epath, errout);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/**
 * serve_permission() - a peer that is neither the owner nor root
 * @path:	socket path to use for a server of its own
 *
 * As root, the client is a child that becomes uid 65534 (the socket and
 * its directory are opened up for it, so that the check under test is the
 * server's and not the file's mode).  Otherwise the server is given an
 * owner that is not us.
 */
static void serve_permission(char *path)
{
	char *argv[] = { "ctl", path, "status", NULL };
	char out[OUT_MAX], errout[OUT_MAX];
	bool root = geteuid() == 0;
	struct fake f;
	int rc;

	server_start(&f, path, root ? 0 : getuid() + 1);
	if (root && (chmod(tmpdir, 0755) || chmod(path, 0666)))
		die("chmod for the foreign client");
	rc = run_ctl(&f, root, argv, out, errout);
	report(rc == 1 && !strcmp(errout, "nsplice ctl: permission denied\n")
	       && !f.status_calls, "permission", "foreign uid: exit %d, "
	       "stderr \"%s\", %u status calls", rc, errout, f.status_calls);
	chmod(tmpdir, 0700);
	control_free(f.c);
}

/**
 * client_cases() - ctl_main() against a running server
 * @f:		fake supervisor with a running server
 * @path:	its path
 */
static void client_cases(struct fake *f, char *path)
{
	char *json[] = { "ctl", path, "status", "--json", NULL };
	char *add[] = { "ctl", path, "add", "-T", "9090", NULL };
	char *bad[] = { "ctl", path, "remove", "-t", "7777", NULL };
	char out[OUT_MAX], errout[OUT_MAX];
	int rc;

	rc = run_ctl(f, false, json, out, errout);
	report(rc == 0 && !strncmp(out, "{\"version\":", 11) && !*errout &&
	       !python_check(out, strlen(out), "full"), "client",
	       "status --json: exit %d, stdout \"%.40s\", stderr \"%s\"", rc,
	       out, errout);
	rc = run_ctl(f, false, add, out, errout);
	report(rc == 0 && !*out && !*errout && f->last.op == CTL_ADD &&
	       f->last.opt == 'T' && !strcmp(f->last.spec, "9090"), "client",
	       "add: exit %d, stdout \"%s\", stderr \"%s\"", rc, out, errout);
	rc = run_ctl(f, false, bad, out, errout);
	report(rc == 1 && !strcmp(errout, "nsplice ctl: -t 7777 is not "
				  "forwarded?second line\n"), "client",
	       "refused change: exit %d, stderr \"%s\"", rc, errout);
}

/**
 * struct usage_case - a ctl_main() call refused before connecting
 * @argv:	arguments
 * @status:	exit status expected
 * @msg:	piece of stderr expected
 */
struct usage_case {
	char *argv[8];
	int status;
	const char *msg;
};

/**
 * client_usage() - bad arguments give status 2, a missing socket 1
 * @path:	a path where nothing listens: a case that connected would
 *		exit 1 naming it, so status 2 proves nothing was sent
 */
static void client_usage(char *path)
{
	char *p = path;
	struct usage_case cases[] = {
		{ { "ctl", NULL }, 2, "Usage: nsplice ctl PATH" },
		{ { "ctl", p, NULL }, 2, "Usage:" },
		{ { "ctl", p, "frob", NULL }, 2, "unknown request \"frob\"" },
		{ { "ctl", p, "status", "--xml", NULL }, 2,
		  "status: unexpected argument \"--xml\"" },
		{ { "ctl", p, "add", "-t", NULL }, 2, "add -t: missing SPEC" },
		{ { "ctl", p, "add", "-t", "80 90", NULL }, 2,
		  "argument \"80 90\": expected one word" },
		{ { "ctl", p, "add", "-U", "", NULL }, 2,
		  "-U \"\": empty spec" },
		{ { "ctl", p, "", NULL }, 2, "argument 2 is empty" },
		{ { "ctl", p, "add", "-t", "80", "-t", "81", NULL }, 2,
		  "add: one -t|-T|-u|-U SPEC per request, \"-t\" is a second "
		  "option" },
		{ { "ctl", p, "add", "-t", "80", "90", NULL }, 2,
		  "unexpected word \"90\"" },
		{ { "ctl", p, "add", "-t", "80", "--proxy-protocol",
		    "--proxy-protocol", NULL }, 2,
		  "add: \"--proxy-protocol\" after --proxy-protocol: it is "
		  "the last word, given once" },
		{ { "ctl", p, "status", "--json", "x", NULL }, 2,
		  "unexpected argument \"x\"" },
		{ { "ctl", p, "add", "-t", "80\n", NULL }, 2,
		  "newline at offset" },
		{ { "ctl", "", "status", NULL }, 2, "socket path \"\"" },
		{ { "ctl", p, "add", "-t", "70000", NULL }, 2,
		  "-t \"70000\": port \"70000\" out of range" },
		{ { "ctl", p, "remove", "-T", "80:x", NULL }, 2, "-T \"80:x\": " },
		{ { "ctl", p, "remove", "-t", "none", NULL }, 2,
		  "-t none: forwards nothing" },
		{ { "ctl", p, "status", NULL }, 1, "No such file" },
	};
	char out[OUT_MAX], errout[OUT_MAX];
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_LEN(cases); i++) {
		rc = run_ctl(NULL, false, cases[i].argv, out, errout);
		report(rc == cases[i].status && strstr(errout, cases[i].msg) &&
		       (rc != 1 || strstr(errout, path)), "client",
		       "usage case %zu: exit %d, stderr \"%s\"", i, rc,
		       errout);
	}
}

/**
 * server_cases_all() - the whole server and client part
 */
static void server_cases_all(void)
{
	char path[sizeof(tmpdir) + 16], path2[sizeof(tmpdir) + 16];
	struct ctl_status st;
	struct stat sb;
	struct fake f;
	int before = fd_count();

	sample_status(&st);
	snprintf(path, sizeof(path), "%s/ctl.sock", tmpdir);
	snprintf(path2, sizeof(path2), "%s/ctl2.sock", tmpdir);
	open_stale();
	server_start(&f, path, geteuid());
	report(!lstat(path, &sb) && (sb.st_mode & 07777) == 0600, "open",
	       "socket mode %o", (unsigned)(sb.st_mode & 07777));
	open_refusals(path);
	serve_status(&f, path, &st);
	serve_changes(&f, path);
	serve_long_line(&f, path);
	serve_limit(&f, path);
	serve_timeout(&f, path);
	f.st = &st;
	client_cases(&f, path);
	control_free(f.c);
	report(lstat(path, &sb) && errno == ENOENT, "server",
	       "socket still there after control_free()");
	client_usage(path);
	serve_permission(path2);
	report(fd_count() == before, "server", "%d descriptors before, %d "
	       "after", before, fd_count());
}

/**
 * cleanup_tmpdir() - remove the captured outputs and the directory
 */
static void cleanup_tmpdir(void)
{
	static const char *const names[] = { "out", "err" };
	char path[sizeof(tmpdir) + 8];
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	if (rmdir(tmpdir))
		report(false, "cleanup", "%s: %s", tmpdir, strerror(errno));
}

/**
 * main() - run every part, print failures and the totals
 *
 * Return: 0 if every case passed, 1 otherwise
 */
int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	log_init("test_ctl", LOG_LVL_ERR);
	if (!mkdtemp(tmpdir))
		die("mkdtemp");
	parse_cases_all();
	format_cases_all();
	server_cases_all();
	cleanup_tmpdir();
	return unit_summary(NULL);
}
