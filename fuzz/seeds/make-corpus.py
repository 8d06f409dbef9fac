#!/usr/bin/env python3
"""Writes the hand-made seed inputs into fuzz/corpus/TARGET/ (see the encodings in each
target's module doc in fuzz/src/). Run again after changing a seed; the fuzzer's own
additions to corpus/ (named by their SHA-1) are kept."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")
ARGV0 = ["pidone", "/usr/bin/pidone", "docker-init", "/sbin/tini", "tini-static",
         "dumb-init", "catatonit", "/run/podman-init"]


def put(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def cli(name, argv0, args, env=()):
    words = [a.encode() if isinstance(a, str) else a for a in args]
    for k, v in env:
        words.append(b"\x02" + k.encode() + b"=" + (v.encode() if isinstance(v, str) else v))
    put("cli", name, bytes([ARGV0.index(argv0)]) + b"\0".join(words))


for argv0 in ARGV0:
    cli("run-" + argv0.replace("/", "_"), argv0, ["true"])
cli("regression-remap-exit-minus-1", "docker-init", ["-e", "-1", "true"])
cli("regression-env-bad-grace-version", "docker-init", ["--version"], [("PIDONE_GRACE", "bad")])
cli("tini-flags", "/sbin/tini", ["-s", "-g", "-vvv", "-w", "-e", "143", "-p", "SIGKILL", "--", "sh", "-c", "x"])
cli("dumb-init-rewrite", "dumb-init", ["-c", "-r", "15:2,TSTP:0", "--rewrite=SIGHUP:SIGQUIT", "cmd"])
cli("dumb-init-setsid-env", "dumb-init", ["cmd"], [("DUMB_INIT_SETSID", "0"), ("DUMB_INIT_DEBUG", "1")])
cli("catatonit-pause", "catatonit", ["-P"], [("CATATONIT_DEBUG", "")])
cli("pause-with-command", "catatonit", ["-P", "sleep"])
cli("pidone-all", "pidone", ["--grace", "10s", "--stop-signal=SIGQUIT", "--stop-delay", "500ms",
                             "--wait-all", "--user", "1000:1000", "--no-new-privs",
                             "--log-format", "json", "-v", "app", "-v"])
cli("pidone-env", "pidone", ["app"], [("PIDONE_SUBREAPER", "0"), ("PIDONE_VERBOSITY", "0"),
                                      ("PIDONE_REWRITE", "RTMIN+3:0"), ("PIDONE_DRAIN", "no"),
                                      ("TINI_VERBOSITY", "2x"), ("TINI_SUBREAPER", "")])
cli("abbreviated-and-ambiguous", "pidone", ["--single", "--s", "x"])
cli("empty-values", "pidone", ["--grace=", "--user=", "x"])
cli("missing-value", "pidone", ["-p"])
cli("cluster", "pidone", ["-sgvte5", "x"])
cli("bad-env-flag", "pidone", ["x"], [("PIDONE_PAUSE", "maybe")])
cli("bad-user-env", "pidone", ["x"], [("PIDONE_USER", "")])

for i, v in enumerate(["10s", "500ms", "2m", "1h", "0", "99999999999999h", "-1", "18446744073709551616",
                       "SIGTERM", "sigrtmin+3", "RTMAX-1", "IOT", "SIGRTMIN+00000001", "64", "65",
                       "15:2,TSTP:0", "TERM:0", "HUP:SIGQUIT,INT:RTMAX", "1,2,255", "256", "1,,2",
                       "-1", "4398046511104ms", "4398046511105ms", "TERMTERMTERMTERMTERM", ""]):
    put("values", "seed-%02d" % i, v.encode())


def etc(dist):
    d = os.path.join(HERE, "etc", dist)
    return open(os.path.join(d, "passwd"), "rb").read(), open(os.path.join(d, "group"), "rb").read()


def user_raw(name, passwd, group, spec):
    put("user", name, b"\x80" + passwd + b"\xff" + group + b"\xff" + spec.encode())


for dist, specs in {
    "debian-base": ["root", "www-data", "nobody", "0", "65534", "daemon:adm", "mail:8", "33"],
    "debian-machine": ["root", "postgres", "messagebus", "nobody:nogroup"],
    "alpine": ["root", "daemon", "adm", "guest", "nobody", "lp:wheel", "405"],
    "distroless": ["nonroot", "65532", "65532:65532", "nobody", "root", "1234"],
}.items():
    p, g = etc(dist)
    for spec in specs:
        user_raw("%s-%s" % (dist, spec.replace(":", "_")), p, g, spec)

# The bugs found by hand (fidelity issue): each a well-formed file the reference reads.
long = "a" * 64
user_raw("regression-64-byte-name-cut",
         ("%s:x:1001:1001::/home/a:/bin/sh\n%sx:x:1002:1002::/home/ax:/bin/sh\n" % (long, long)).encode(),
         ("short:x:3001:%s\nlong:x:3002:%sx\n" % (long, long)).encode(), long + "x")
members = ",".join("member%d" % i for i in range(700))
user_raw("regression-group-line-over-4096-bytes",
         b"app:x:1000:1000::/home/app:/bin/sh\n",
         ("big:x:4000:%s,app\nsmall:x:4001:app\n" % members).encode(), "app")
user_raw("regression-more-than-32-groups",
         b"app:x:1000:1000::/home/app:/bin/sh\n",
         "".join("g%d:x:%d:app\n" % (i, 5000 + i) for i in range(40)).encode(), "app")
user_raw("regression-numeric-user-is-uid",
         b"1000:x:2000:2000::/home/named1000:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
         b"app:x:1000:\nnamed:x:2000:1000\nextra:x:3000:app\n", "1000")
user_raw("bound-more-groups-than-pidone-sets",
         b"app:x:1000:1000::/home/app:/bin/sh\n",
         "".join("g%d:x:%d:app\n" % (i, 10000 + i) for i in range(4100)).encode(), "app")
user_raw("long-home-and-name",
         ("%s:x:1003:1003::/%s:/bin/sh\n" % ("n" * 5000, "h" * 4095)).encode(),
         ("g:x:3003:%s\n" % ("n" * 5000)).encode(), "1003")
user_raw("regression-numeric-uid-no-entry",
         b"root:x:0:0:root:/root:/bin/sh\n", b"root:x:0:\n", "65532")

# Log lines (byte 0: bit 0 text, (b>>1)%3 kind: 0 message, 1 spawn error, 2 event field;
# b>>3 sixteen-byte steps of fixed text before the value).
put("log", "regression-json-0xff", b"\x00cmd\xffname")
put("log", "regression-json-lone-0xc3", b"\x04cmd\xc3")
put("log", "regression-json-long-missing-command", b"\x02" + b"/usr/bin/" + b"x" * 600)
put("log", "regression-json-long-multibyte", b"\x02" + "é".encode() * 300)
put("log", "text-newline-in-value", b"\x01a\nforged line")
put("log", "text-escape-sequence", b"\x03\x1b[31mred")
put("log", "text-event-field-newline", b"\x05a\nb")
put("log", "json-quotes-and-backslash", b"\x04\"\\\x7f\x01")
put("log", "json-cut-after-prefix", bytes([0xf8]) + b"\xe2\x82\xac" * 200)
