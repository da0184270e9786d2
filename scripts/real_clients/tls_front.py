"""A TLS front for `callfull serve`, for clients that only speak https.

b24pysdk builds `https://{domain}/rest/...` and nothing else. Until the fake
serves TLS itself, this terminates TLS on 127.0.0.1 with a throwaway CA made
by trustme and relays the bytes, unchanged, to the fake's plain port. The
client trusts the CA through the standard `REQUESTS_CA_BUNDLE` variable; the
library itself is not touched.
"""

import asyncio
import os
import ssl
import tempfile
import threading

import trustme


class TlsFront:
    """Runs in a daemon thread; `domain` is "127.0.0.1:PORT" and `ca_file`
    the PEM file a client must trust."""

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._ctx)
        fd, self.ca_file = tempfile.mkstemp(prefix="callfull-ca-", suffix=".pem")
        os.close(fd)
        ca.cert_pem.write_to_path(self.ca_file)
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self.port = None
        threading.Thread(target=self._run, daemon=True).start()
        if not self._ready.wait(10):
            raise RuntimeError("the TLS front did not start")

    @property
    def domain(self):
        return f"127.0.0.1:{self.port}"

    def _run(self):
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=self._ctx))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _relay(self, client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return

        async def pump(reader, writer):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            finally:
                try:
                    writer.close()
                except (ConnectionError, ssl.SSLError, RuntimeError):
                    pass

        await asyncio.gather(pump(client_reader, up_writer), pump(up_reader, client_writer))

    def close(self):
        self._loop.call_soon_threadsafe(self._loop.stop)
        try:
            os.unlink(self.ca_file)
        except OSError:
            pass
