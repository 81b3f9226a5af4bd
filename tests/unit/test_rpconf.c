// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_rpconf.c - podman's rootlessport configuration and reload requests
 *
 * DOC: Theory of Operation
 *
 * rp_conf_parse() on the JSON podman 4.3.1 really sends (captured on
 * Debian 12: slirp4netns, a bridge network, a range, udp, "tcp,udp"),
 * then on every way a configuration can be wrong, each of which must be
 * refused with a message naming the part; rp_reload_parse() on what
 * `podman network connect` sends and on what it must refuse.  Also
 * engine_bind_failed(): the failure lines podman and dockerd users know.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../supervisor/config/config.h"
#include "../../supervisor/config/rpconf.h"
#include "../../supervisor/engine.h"
#include "unit.h"

/* PODMAN_431 - what podman 4.3.1 sent for `-p 127.0.0.1:18081:80 -p
 * 18090-18091:8000-8001/tcp -p 18092:53/udp` on Debian 12 */
static const char PODMAN_431[] =
	"{\"Mappings\":[{\"host_ip\":\"\",\"container_port\":8000,"
	"\"host_port\":18090,\"range\":2,\"protocol\":\"tcp\"},"
	"{\"host_ip\":\"\",\"container_port\":53,\"host_port\":18092,"
	"\"range\":1,\"protocol\":\"udp\"},{\"host_ip\":\"127.0.0.1\","
	"\"container_port\":80,\"host_port\":18081,\"range\":1,"
	"\"protocol\":\"tcp\"}],\"NetNSPath\":\"/run/user/1001/netns/"
	"netns-b6e8fc80\",\"ExitFD\":3,\"ReadyFD\":4,\"TmpDir\":"
	"\"/tmp/podman-run-1001/libpod/tmp\",\"ChildIP\":\"10.0.2.100\","
	"\"ContainerID\":\"8a60e5ef\",\"RootlessCNI\":false}\n";

/* static: struct rp_conf is large */
static struct rp_conf conf;

/**
 * parse() - rp_conf_parse() on a C string
 * @text:	JSON
 * @err:	error buffer, RP_ERR_MAX bytes
 *
 * Return: rp_conf_parse()'s
 */
static int parse(const char *text, char *err)
{
	err[0] = '\0';
	return rp_conf_parse(text, strlen(text), &conf, err, RP_ERR_MAX);
}

/**
 * test_real() - podman's own configuration is read as podman meant it
 */
static void test_real(void)
{
	char err[RP_ERR_MAX];
	int rc = parse(PODMAN_431, err);

	report(!rc, "real", "podman 4.3.1's JSON refused: %s", err);
	if (rc)
		return;
	report(conf.nmaps == 3, "real", "%u mappings, expected 3", conf.nmaps);
	report(conf.map[0].host_port == 18090 && conf.map[0].range == 2 &&
	       conf.map[0].container_port == 8000 && conf.map[0].tcp &&
	       !conf.map[0].udp && conf.map[0].host_af == AF_UNSPEC,
	       "real", "first mapping read wrong");
	report(conf.map[1].udp && !conf.map[1].tcp, "real", "udp mapping");
	report(conf.map[2].host_af == AF_INET, "real", "host_ip 127.0.0.1");
	report(conf.exit_fd == 3 && conf.ready_fd == 4, "real", "fds %d %d",
	       conf.exit_fd, conf.ready_fd);
	report(conf.child_af == AF_INET && !conf.rootless_cni &&
	       !strcmp(conf.container_id, "8a60e5ef") &&
	       !strcmp(conf.tmp_dir, "/tmp/podman-run-1001/libpod/tmp"),
	       "real", "ChildIP, RootlessCNI, ContainerID or TmpDir wrong");
}

/**
 * test_accepts() - valid variants: both protocols, keys in any case,
 *		    unknown keys, escapes, nulls, IPv6
 */
static void test_accepts(void)
{
	static const char *const ok[] = {
		"{\"Mappings\":[{\"host_port\":1,\"container_port\":1,"
		"\"protocol\":\"tcp,udp\"}],\"NetNSPath\":\"/n\"}",
		"{\"mappings\":[{\"HOST_PORT\":65535,\"container_port\":2}],"
		"\"netnspath\":\"/n\",\"Future\":{\"a\":[1,2.5e3,null,true]}}",
		"{\"NetNSPath\":\"\\/run\\/n\\u00e9\",\"Mappings\":[{\"host_port\":"
		"80,\"container_port\":80,\"range\":0}],\"ChildIP\":\"fd00::2\"}",
		"{\"NetNSPath\":\"/n\",\"Mappings\":null,\"ChildIP\":null,"
		"\"TmpDir\":\"/t\",\"ContainerID\":\"abc\",\"RootlessCNI\":true}",
		"{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":65534,"
		"\"container_port\":1,\"range\":2,\"host_ip\":\"::1\"}]}",
		"{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1,"
		"\"container_port\":1,\"host_ip\":\"::\"},{\"host_port\":2,"
		"\"container_port\":2,\"host_ip\":\"0.0.0.0\"}]}",
		/* one port, both families' loopback; tcp beside udp; ranges
		 * that touch without overlapping */
		"{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":8080,"
		"\"container_port\":80,\"host_ip\":\"127.0.0.1\"},"
		"{\"host_port\":8080,\"container_port\":80,\"host_ip\":"
		"\"::1\"},{\"host_port\":8080,\"container_port\":80,"
		"\"protocol\":\"udp\"},{\"host_port\":9000,\"container_port\":"
		"9000,\"range\":10},{\"host_port\":9010,\"container_port\":1}]}",
	};
	char err[RP_ERR_MAX];
	unsigned i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		report(!parse(ok[i], err), "accepts", "case %u refused: %s", i,
		       err);
	parse(ok[0], err);
	report(conf.map[0].tcp && conf.map[0].udp, "accepts", "tcp,udp");
	parse(ok[2], err);
	report(!strcmp(conf.netns_path, "/run/n\xc3\xa9") &&
	       conf.map[0].range == 1 && conf.child_af == AF_INET6,
	       "accepts", "escapes, range 0 or ChildIP v6 read wrong: %s",
	       conf.netns_path);
	parse(ok[4], err);
	report(conf.map[0].host_af == AF_INET6, "accepts", "host_ip ::1");
	/* Go's one dual-stack socket: both wildcards serve both families */
	parse(ok[5], err);
	report(conf.map[0].host_af == AF_UNSPEC &&
	       conf.map[1].host_af == AF_UNSPEC, "accepts",
	       "host_ip \"::\" or \"0.0.0.0\" not read as every address");
}

/**
 * test_refuses() - each bad configuration is refused, naming the part
 */
static void test_refuses(void)
{
	static const struct { const char *json, *says; } bad[] = {
		{ "", "expected '{'" },
		{ "[]", "expected '{'" },
		{ "{\"NetNSPath\":\"/n\"} x", "nothing after" },
		{ "{\"NetNSPath\":\"rel\"}", "NetNSPath \"rel\"" },
		{ "{}", "NetNSPath \"\"" },
		{ "{\"NetNSPath\":\"/n\",\"NetNSPath\":\"/m\"}", "given twice" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":0,"
		  "\"container_port\":1}]}", "host_port 0" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":65535,"
		  "\"container_port\":1,\"range\":2}]}", "runs past port" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1,"
		  "\"container_port\":1,\"range\":-1}]}", "range -1: expected 1 "
		  "to 65535 (or 0 or none: one port" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1,"
		  "\"container_port\":70000}]}", "container_port 70000" },
		/* one host port twice: podman's own helper's bind error */
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":8080,"
		  "\"container_port\":80},{\"host_port\":8080,\"container_port\""
		  ":81,\"host_ip\":\"127.0.0.1\"}]}", "listen tcp 127.0.0.1:8080: "
		  "bind: address already in use" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":9000,"
		  "\"container_port\":9000,\"range\":10,\"protocol\":\"udp\","
		  "\"host_ip\":\"::1\"},{\"host_port\":9005,\"container_port\""
		  ":1,\"range\":20,\"protocol\":\"tcp,udp\"}]}",
		  "listen udp 0.0.0.0:9005: bind: address already in use" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1,"
		  "\"container_port\":1,\"protocol\":\"sctp\"}]}",
		  "unsupported port protocol sctp" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1,"
		  "\"container_port\":1,\"protocol\":\"tcp,\"}]}",
		  "unknown proto: \"\"" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1,"
		  "\"container_port\":1,\"host_ip\":\"eth0\"}]}",
		  "host_ip \"eth0\"" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1.5,"
		  "\"container_port\":1}]}", "host_port: 1.5: expected a whole "
		  "number" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":4.2101e4,"
		  "\"container_port\":1}]}", "host_port: 4.2101e4: expected" },
		{ "{\"NetNSPath\":\"/n\",\"ChildIP\":\"0.0.0.0\"}",
		  "not an address to connect to" },
		{ "{\"NetNSPath\":\"/n\",\"ChildIP\":\"10.0.0\"}", "ChildIP" },
		{ "{\"NetNSPath\":\"/n\",\"ContainerID\":\"../x\"}",
		  "ContainerID" },
		{ "{\"NetNSPath\":\"/n\",\"RootlessCNI\":true}",
		  "RootlessCNI needs" },
		{ "{\"NetNSPath\":\"/n\\u0000x\"}", "no NUL" },
		{ "{\"NetNSPath\":\"/n\\ud800\"}", "low surrogate" },
		{ "{\"NetNSPath\":\"/n\",\"ExitFD\":4,\"ReadyFD\":4}",
		  "both 4" },
		{ "{\"NetNSPath\":\"/n\",\"ExitFD\":-1}", "ExitFD -1" },
		{ "{\"NetNSPath\":\"/n\",\"X\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}",
		  "nested deeper" },
		{ "{\"NetNSPath\":\"/n\",\"RootlessCNI\":1}", "true or false" },
		{ "{\"NetNSPath\":\"/n\",\"Mappings\":[{\"host_port\":1,"
		  "\"container_port\":1}", "',' or ']'" },
		{ "{\"NetNSPath\":\"/n\x01\"}", "control character" },
	};
	char err[RP_ERR_MAX];
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].json, err);

		report(rc && strstr(err, bad[i].says), "refuses",
		       "case %u (%s): rc %d, message \"%s\", expected \"%s\"",
		       i, bad[i].json, rc, err, bad[i].says);
	}
}

/**
 * test_reload() - what podman sends on the reload socket
 */
static void test_reload(void)
{
	static const char *const bad[] = { "", "10.89.1.2", "\"10.89.1\"",
		"\"10.89.1.2\" x", "\"0.0.0.0\"", "\"::\"", "[\"10.0.0.1\"]",
		"\"10.89.1.2" };
	char err[RP_ERR_MAX];
	union inany a;
	unsigned i;
	int af;

	report(!rp_reload_parse("\"10.89.1.2\"\n", 12, &af, &a, err,
				sizeof(err)) && af == AF_INET &&
	       a.b[0] == 10 && a.b[3] == 2, "reload", "podman's request");
	report(!rp_reload_parse(" \"fd00::5\" ", 11, &af, &a, err,
				sizeof(err)) && af == AF_INET6, "reload",
	       "IPv6 with spaces");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		report(rp_reload_parse(bad[i], strlen(bad[i]), &af, &a, err,
				       sizeof(err)) && err[0], "reload",
		       "\"%s\" accepted", bad[i]);
}

/**
 * bind_line() - engine_bind_failed()'s line for one listener
 * @kind:	enum engine_kind
 * @wildcard:	rootlessport mapping without host_ip
 * @af:		listener family
 * @addr:	listener address text
 * @port:	listener port
 * @udp:	UDP forward
 * @error:	errno
 * @buf:	output, ENGINE_MSG_MAX bytes
 */
static void bind_line(enum engine_kind kind, bool wildcard, int af,
		      const char *addr, unsigned port, bool udp, int error,
		      char *buf)
{
	struct fwd_entry f;
	struct engine e;
	int paf;

	memset(&f, 0, sizeof(f));
	f.m.family = (uint8_t)af;
	inany_parse(addr, &paf, &f.m.listen_addr);
	f.m.listen_port = (uint16_t)port;
	f.m.flags = udp ? FWD_F_UDP : 0;
	engine_init(&e, kind);
	e.wildcard = wildcard;
	engine_bind_failed(&e, &f, error);
	snprintf(buf, ENGINE_MSG_MAX, "%s", e.fail);
	e.ready_fd = -1;
	engine_finish(&e, 0);
}

/**
 * test_bind_lines() - the engines' own wording for a failed listener
 */
static void test_bind_lines(void)
{
	char b[ENGINE_MSG_MAX];

	bind_line(ENGINE_ROOTLESSPORT, true, AF_INET, "127.0.0.1", 18080,
		  false, EADDRINUSE, b);
	report(!strcmp(b, "listen tcp 127.0.0.1:18080: bind: address already "
		       "in use"), "bind", "in use: \"%s\"", b);
	bind_line(ENGINE_ROOTLESSPORT, true, AF_INET, "0.0.0.0", 18080,
		  true, EADDRINUSE, b);
	report(!strcmp(b, "listen udp 0.0.0.0:18080: bind: address already in "
		       "use"), "bind", "no host_ip, udp: \"%s\"", b);
	bind_line(ENGINE_ROOTLESSPORT, true, AF_INET6, "::", 18080, false,
		  EADDRINUSE, b);
	report(!strcmp(b, "listen tcp 0.0.0.0:18080: bind: address already in "
		       "use"), "bind", "no host_ip, its IPv6 listener: \"%s\"",
	       b);
	bind_line(ENGINE_ROOTLESSPORT, false, AF_INET, "127.0.0.1", 80,
		  false, EACCES, b);
	report(!strncmp(b, "cannot expose privileged port 80, you can add "
			"'net.ipv4.ip_unprivileged_port_start=80' to "
			"/etc/sysctl.conf (currently 1024), or choose a larger"
			" port number (>= 1024): listen tcp 127.0.0.1:80: "
			"bind: permission denied", ENGINE_MSG_MAX),
	       "bind", "privileged: \"%s\"", b);
	bind_line(ENGINE_DOCKER_PROXY, false, AF_INET6, "::1", 8080, false,
		  EADDRINUSE, b);
	report(!strcmp(b, "listen tcp6 [::1]:8080: bind: address already in "
		       "use"), "bind", "docker-proxy v6: \"%s\"", b);
	bind_line(ENGINE_DOCKER_PROXY, false, AF_INET, "127.0.0.1", 53, true,
		  EADDRINUSE, b);
	report(!strcmp(b, "listen udp4 127.0.0.1:53: bind: address already in "
		       "use"), "bind", "docker-proxy udp4: \"%s\"", b);
}

/**
 * main() - run every case
 *
 * Return: 0 if all passed
 */
int main(void)
{
	int fds = fd_count();

	test_real();
	test_accepts();
	test_refuses();
	test_reload();
	test_bind_lines();
	report(fd_count() == fds, "fds", "%d descriptors open, %d before",
	       fd_count(), fds);
	printf("%u passed, %u failed\n", n_pass, n_fail);
	return n_fail != 0;
}
