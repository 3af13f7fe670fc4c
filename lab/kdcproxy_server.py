"""FreeIPA's KDC proxy (the `kdcproxy` WSGI application, MS-KKDCP) behind a small threaded
TLS WSGI server on loopback, for the lab. Started by lab/up.sh with the venv made by
lab/kdcproxy-venv.sh; its realms and KDCs come from the file named by KDCPROXY_CONFIG.

    python kdcproxy_server.py HOST PORT CERT KEY PIDFILE
"""
import os
import socketserver
import ssl
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Handler(WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("kdcproxy: %s %s\n" % (self.client_address[0], fmt % args))
        sys.stderr.flush()


def main():
    host, port, cert, key, pidfile = sys.argv[1:6]
    import kdcproxy  # reads KDCPROXY_CONFIG at import

    httpd = make_server(host, int(port), kdcproxy.application,
                        server_class=Server, handler_class=Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    httpd.serve_forever()


if __name__ == "__main__":
    main()
