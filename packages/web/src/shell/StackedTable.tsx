import type { ReactNode } from 'react';

/** A column: its name (read aloud only when `hidden`, as for a column of buttons) and what a row shows in it. */
export interface StackedColumn<T> {
  label: string;
  hidden?: boolean;
  className?: string;
  cell: (row: T) => ReactNode;
}

/**
 * A table that folds into one block per row at phone width, each cell under its column's name
 * (styles.css, table.stack-narrow): the names come from the columns, so header and cells agree.
 */
export function StackedTable<T>({ labelledBy, columns, rows, rowKey }: { labelledBy: string; columns: readonly StackedColumn<T>[]; rows: readonly T[]; rowKey: (row: T) => string }) {
  return (
    <div className="table-wrap">
      <table className="stack-narrow" aria-labelledby={labelledBy}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.label} scope="col">
                {column.hidden ? <span className="visually-hidden">{column.label}</span> : column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((column) => (
                <td key={column.label} data-label={column.hidden ? '' : column.label} className={column.className}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
