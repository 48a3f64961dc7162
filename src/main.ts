// The bundle's entry point: run the command line, then end with its exit code.
import { main } from './cli.js';
import { args, finish } from './host.js';

main(args()).then(finish);
