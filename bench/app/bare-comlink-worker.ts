/**
 * The bare floor through Comlink (see bare-sqlite.ts): what the RPC library cipherlite's client is
 * built on costs by itself, with nothing of cipherlite behind it.
 */
import * as Comlink from 'comlink';
import { handle } from './bare-sqlite.ts';

Comlink.expose({ request: handle });
