/**
 * How the code may depend on itself, checked with dependency-cruiser: the rules of
 * .dependency-cruiser.cjs (no import cycle between files, a module uses another through its
 * service, only repositories touch another module's tables, no dead files), and no cycle
 * between modules (folders under src/modules).
 */
import { cruise, type IModule } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'
import { describe, expect, it } from 'vitest'

const moduleOf = (path: string) => path.match(/^src\/modules\/([^/]+)\//)?.[1]

async function cruiseSource() {
  const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs')
  const result = await cruise(
    ['src'],
    { ...options, validate: true },
    {},
    { tsConfig: extractTSConfig('tsconfig.json') },
  )
  if (typeof result.output === 'string') throw new Error('dependency-cruiser answered with text')
  return result.output
}

/** Modules that depend on each other in a ring, each ring as its members (Tarjan's algorithm). */
function moduleCycles(modules: IModule[]): string[][] {
  const edges = new Map<string, Set<string>>()
  for (const file of modules) {
    const from = moduleOf(file.source)
    if (!from || file.source.endsWith('.tables.ts')) continue
    for (const dependency of file.dependencies) {
      const to = moduleOf(dependency.resolved)
      // The schema is one layer below every module; naming a type is not a dependency at run time.
      if (!to || to === from || dependency.resolved.endsWith('.tables.ts')) continue
      if (dependency.dependencyTypes.includes('type-only')) continue
      edges.set(from, (edges.get(from) ?? new Set()).add(to))
    }
  }
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const rings: string[][] = []
  const visit = (node: string) => {
    index.set(node, index.size)
    low.set(node, index.get(node)!)
    stack.push(node)
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!))
    }
    if (low.get(node) === index.get(node)) {
      const ring: string[] = []
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        ring.push(member)
        if (member === node) break
      }
      if (ring.length > 1) rings.push(ring.sort())
    }
  }
  for (const node of edges.keys()) if (!index.has(node)) visit(node)
  return rings
}

describe('the architecture', () => {
  it('keeps the dependency rules and has no cycle between modules', async () => {
    const result = await cruiseSource()
    const violations = result.summary.violations.map(
      (violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`,
    )
    expect(violations).toEqual([])
    expect(moduleCycles(result.modules)).toEqual([])
  }, 60_000)
})
