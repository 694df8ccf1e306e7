// A made-up package as heavy as a large SDK (many modules of plain Python, megabytes of source, no native code),
// served beside the real wheels of ../shared/wheelhouse: the worker that requires it is the one whose code change
// makes the anchor install every dependency again (step c, heavy).
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildWheel } from '../../dist/environment/wheel.js';

export const heavyRequirement = 'heavylib';

/** One module of about 24 KB: functions with docstrings and arithmetic, as generated API clients look. */
function heavyModule(index) {
  const functions = [];
  for (let number = 0; number < 40; number += 1)
    functions.push(`def operation_${index}_${number}(value, *, scale=${number + 1}, offset=${index}):
    """Operation ${number} of module ${index}: scales and shifts the value, then folds it into a checksum.

    A made-up function of the heavy benchmark package; it stands for the generated code of a large SDK.
    """
    total = (value * scale + offset) % 1000003
    for step in range(3):
        total = (total * 31 + step + ${number}) % 1000003
    return {"module": ${index}, "operation": ${number}, "value": total}
`);
  return `# Module ${index} of heavylib, made up by the assembly benchmark.\n\n${functions.join('\n\n')}`;
}

/**
 * Writes `directory/wheelhouse`: the wheels of `wheelhouse` and heavylib 1.0.0 (`modules` modules). Returns the
 * folder to serve, the requirement, and the wheel's size in bytes.
 */
export async function writeHeavyWheelhouse({ wheelhouse, directory, modules = 500 }) {
  const source = path.join(directory, 'heavylib-source');
  await mkdir(path.join(source, 'heavylib'), { recursive: true });
  await writeFile(path.join(source, 'heavylib', '__init__.py'), '"""A made-up heavy package."""\n');
  for (let index = 0; index < modules; index += 1)
    await writeFile(path.join(source, 'heavylib', `module_${index}.py`), heavyModule(index));
  const wheel = await buildWheel(
    { name: heavyRequirement, version: '1.0.0', summary: 'made-up heavy package' },
    source,
  );
  const house = path.join(directory, 'wheelhouse');
  await mkdir(house, { recursive: true });
  for (const name of (await readdir(wheelhouse)).filter((file) => file.endsWith('.whl')))
    await copyFile(path.join(wheelhouse, name), path.join(house, name));
  await writeFile(path.join(house, wheel.fileName), wheel.data);
  return { wheelhouse: house, requirement: heavyRequirement, bytes: wheel.data.length };
}
