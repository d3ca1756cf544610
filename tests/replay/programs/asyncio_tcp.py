# nondeterministic
# asyncio (epoll + self-pipe socketpair) echo server and clients on 127.0.0.1, one thread.
import asyncio
import os
import threading


async def handle(reader, writer):
    data = await reader.readline()
    writer.write(b"echo " + data)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print("port", port)

    async def client(i):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"msg {i} {os.urandom(4).hex()}\n".encode())
        await writer.drain()
        line = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return line

    results = await asyncio.gather(*(client(i) for i in range(4)))
    for r in results:
        print("reply", r)
    await asyncio.sleep(0.01)
    print("loop_time_positive", asyncio.get_running_loop().time() > 0)
    server.close()
    await server.wait_closed()


asyncio.run(main())
print("threads", threading.active_count())
print("END asyncio_tcp")
