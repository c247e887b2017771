#!/usr/bin/python3
"""The sample fixed-IP gateway service run on every host (the protected application).

Listens on 0.0.0.0:PORT; for every request line it answers ``<host name> <line>``, so the
client can tell which host holds the VIP it connected to.

    python3 gateway.py --name h1 [--port 9000]
"""
import argparse
import asyncio
import sys

PORT = 9000


async def serve(name, port):
    async def handle(reader, writer):
        try:
            while True:
                line = await asyncio.wait_for(reader.readline(), timeout=5)
                if not line:
                    break
                writer.write(name.encode() + b" " + line.rstrip(b"\r\n") + b"\n")
                await writer.drain()
        except (asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "0.0.0.0", port, reuse_address=True, backlog=256)
    print("gateway %s listening on 0.0.0.0:%d" % (name, port), flush=True)
    async with server:
        await server.serve_forever()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--port", type=int, default=PORT)
    a = ap.parse_args()
    try:
        asyncio.run(serve(a.name, a.port))
    except KeyboardInterrupt:
        pass
    return 0


def start(procs, host, port=PORT):
    """Starts the gateway in host's namespace; returns the Proc."""
    import os
    return procs.start("gateway-" + host, host, ["/usr/bin/python3", os.path.abspath(__file__), "--name", host,
                                                 "--port", str(port)])


if __name__ == "__main__":
    sys.exit(main())
