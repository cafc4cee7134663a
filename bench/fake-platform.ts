/** The fake platform API in its own process, so benchmarks do not charge its CPU to the service. Prints "READY <base>". */
import { FakePlatforms } from '../test/helpers/fake-platforms.js';

const fake = await new FakePlatforms().start();
setInterval(() => process.send?.({ delivered: fake.delivered.length + fake.sent.length }), 50);
process.stdout.write(`READY ${fake.base}\n`);
process.on('SIGTERM', () => process.exit(0));
