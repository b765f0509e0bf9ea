/** The Kysely database type of the tests (a shop: customers and their orders). */
import type { Generated } from 'kysely';

export interface Shop {
  customers: { id: Generated<number>; name: string; vip: Generated<number> };
  orders: { id: Generated<number>; customer_id: number; total_cents: number; note: string | null };
  audit: { id: Generated<number>; what: string };
}

export const DDL = [
  'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, vip INTEGER NOT NULL DEFAULT 0)',
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), total_cents INTEGER NOT NULL, note TEXT)',
  'CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT NOT NULL)',
];
