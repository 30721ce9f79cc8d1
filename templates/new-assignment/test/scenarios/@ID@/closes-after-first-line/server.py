# BUG: answers the first line of a connection, then closes it.
import argparse
import asyncio


async def serve(reader, writer):
    line = await reader.readline()
    if line.endswith(b"\n"):
        writer.write(line[:-1].decode(errors="replace")[::-1].encode() + b"\n")
        await writer.drain()
    writer.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    server = await asyncio.start_server(serve, "127.0.0.1", parser.parse_args().port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
