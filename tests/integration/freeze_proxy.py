#!/usr/bin/python3
"""freeze_proxy.py LPORT DPORT WORD... - a TCP proxy on 127.0.0.1:LPORT to 127.0.0.1:DPORT.

A connection whose client sends bytes containing one of the WORDs stops receiving the
server's bytes from then on, and for good: a server or network path that hangs in the middle
of a query while every other connection stays healthy. Prints FREEZE on stderr each time.
"""
import socket
import sys
import threading

lport, dport = int(sys.argv[1]), int(sys.argv[2])
words = [w.encode() for w in sys.argv[3:]]


def server_to_client(srv, cli, state):
    try:
        while True:
            data = srv.recv(65536)
            if not data:
                break
            if state["frozen"]:
                threading.Event().wait()
            cli.sendall(data)
    except OSError:
        pass


def client_to_server(cli, srv, state):
    try:
        while True:
            data = cli.recv(65536)
            if not data:
                break
            if any(w in data for w in words):
                state["frozen"] = True
                sys.stderr.write("FREEZE\n")
                sys.stderr.flush()
            srv.sendall(data)
    except OSError:
        pass


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", lport))
listener.listen(64)
print("ready", flush=True)
while True:
    c, _ = listener.accept()
    s = socket.create_connection(("127.0.0.1", dport))
    st = {"frozen": False}
    threading.Thread(target=server_to_client, args=(s, c, st), daemon=True).start()
    threading.Thread(target=client_to_server, args=(c, s, st), daemon=True).start()
