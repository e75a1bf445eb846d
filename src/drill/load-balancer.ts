import net from 'node:net';

/**
 * The load balancer in front of the API processes, as a deployment has one: a TCP proxy on 127.0.0.1 that
 * sends each new connection to the next backend in rotation. A drill takes a process out of rotation
 * before draining it (as a health check would), so reconnecting clients land on the others. Long-lived
 * streams are piped byte for byte: no buffering, no timeouts.
 */
export class LoadBalancer {
  private readonly server = net.createServer((socket) => this.route(socket));
  private readonly backends = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();
  private next = 0;
  port = 0;

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  add(name: string, port: number): void {
    this.backends.set(name, port);
  }

  remove(name: string): void {
    this.backends.delete(name);
  }

  private route(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const ports = [...this.backends.values()];
    if (ports.length === 0) {
      socket.destroy();
      return;
    }
    const port = ports[this.next++ % ports.length]!;
    const upstream = net.connect(port, '127.0.0.1');
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close);
    upstream.on('error', close);
    socket.on('close', close);
    upstream.on('close', close);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
