/** The notes themselves: a live query, an insert and a delete, plus Lock and Backup. */
import { useDatabase, useLockState, useMutation, useQuery } from '@cipherlite/react';
import { useState } from 'react';
import { Backup } from './Backup.tsx';
import { LockScreen } from './LockScreen.tsx';

interface Note {
  id: number;
  text: string;
}

export function Notes() {
  const db = useDatabase();
  const lockState = useLockState();
  const notes = useQuery<Note>('SELECT id, text FROM note ORDER BY id DESC');
  const add = useMutation((db, text: string) => db.exec('INSERT INTO note (text, created_at) VALUES (?, ?)', [text, new Date().toISOString()]));
  const remove = useMutation((db, id: number) => db.exec('DELETE FROM note WHERE id = ?', [id]));
  const [draft, setDraft] = useState('');

  if (lockState !== 'unlocked') return <LockScreen />;
  return (
    <main>
      <header>
        <h1>Notes</h1>
        <button onClick={() => void db.lock()}>Lock</button>
      </header>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void add.mutateAsync(draft.trim()).then(() => setDraft(''));
        }}
      >
        <label>
          New note
          <input value={draft} onChange={(e) => setDraft(e.target.value)} required />
        </label>
        <button type="submit" disabled={add.isPending}>
          Add
        </button>
      </form>
      {notes.status === 'error' && <p role="alert">{notes.error.message}</p>}
      <ul aria-label="Notes">
        {notes.data?.map((note) => (
          <li key={note.id}>
            {note.text} <button onClick={() => remove.mutate(note.id)}>Delete</button>
          </li>
        ))}
      </ul>
      <Backup />
    </main>
  );
}
