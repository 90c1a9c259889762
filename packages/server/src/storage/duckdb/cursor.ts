/** The cursors are backend-independent (../cursor.ts); re-exported for existing importers. */
export { type CursorKey, decodeCursor, encodeCursor, InvalidCursorError } from '../cursor.js';
