interface Props {
  caption: string;
  entries: readonly (readonly [string, string])[];
  empty?: string;
}

/** Params, tags or latest metrics: keys are data and shown as written, sorted so two runs read alike. */
export function KeyValues({ caption, entries, empty = 'None.' }: Props) {
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (
    <table className="list key-values">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td className="value">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
