/**
 * Where a page shows a name the node cannot read (FORMAT §14): the server renders the
 * placeholder, and the NameFill island puts the name in once this browser has opened it.
 * Browser-compatible (rendered by routes on the server and by islands).
 *
 * @module
 */

interface Props {
  /** `family`, or `member:<member key>`. */
  of: string;
  /** Shown until the name is open, and when this browser cannot open it. */
  placeholder: string;
  /** `initial`: only the first letter (an avatar). */
  form?: "initial";
}

export function NameSlot({ of, placeholder, form }: Props) {
  return (
    <span class="name-slot" data-name={of} data-name-form={form} data-name-state="pending">
      {placeholder}
    </span>
  );
}
