// The bundle's entry point: run the command line, then let the process end on its own.
import { main } from './cli.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
