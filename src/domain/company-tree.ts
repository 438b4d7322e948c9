/**
 * The company tree (each company has at most one parent): which companies lie below a given one.
 */
export interface TreeNode {
  id: number;
  parentId: number | null;
}

/** The company itself and every company below it (children, their children, …). */
export function selfAndDescendants(nodes: readonly TreeNode[], rootId: number): Set<number> {
  const children = new Map<number, number[]>();
  for (const n of nodes) {
    if (n.parentId === null) continue;
    const list = children.get(n.parentId) ?? [];
    list.push(n.id);
    children.set(n.parentId, list);
  }
  const out = new Set<number>([rootId]);
  const queue = [rootId];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      // The set also guards against a cycle in stored data
      if (!out.has(child)) {
        out.add(child);
        queue.push(child);
      }
    }
  }
  return out;
}
